import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { activitiesKey, CACHE_STORE } from '../../src/cache/keys.js';
import type { Handler } from '../../src/emulator/types.js';
import { createAiBriefHandler } from '../../src/functions/ai-brief.js';
import { createApiActivitiesHandler } from '../../src/functions/api-activities.js';
import { createAuthDisconnectHandler } from '../../src/functions/auth-disconnect.js';
import { createAuthRefreshTokenHandler } from '../../src/functions/auth-refresh-token.js';
import { createOauthStravaTokenExchangeHandler } from '../../src/functions/oauth-strava-token-exchange.js';
import { stravaErrorForStatus } from '../../src/strava/errors.js';
import { bodyOf, connectAthlete, context, event, expectClientError, harness, tokenFor, type Harness } from './helpers.js';

describe('auth-disconnect: the athlete disconnects Strava from the app', () => {
  let h: Harness;
  let disconnect: Handler;
  let a: number;
  let b: number;
  let c: number;

  const signIn = async (athleteId: number) =>
    bodyOf(await createOauthStravaTokenExchangeHandler(h.deps)(event('/oauth/strava/callback', { query: { code: h.strava.fake.issueCode(athleteId) } }), context('x')));
  const call = (create: (d: Harness['deps']) => Handler, path: string, token: string) => create(h.deps)(event(path, { token }), context('x'));
  const post = (token: string) => disconnect(event('/auth/disconnect', { method: 'POST', token }), context('auth-disconnect'));
  const refresh = (refreshToken: string) =>
    createAuthRefreshTokenHandler(h.deps)(event('/auth/refresh', { method: 'POST', body: JSON.stringify({ refresh_token: refreshToken }) }), context('x'));
  const cachedKeys = async () => (await h.blobs.store(CACHE_STORE).list()).blobs.map((x) => x.key);
  const stravaTokens = async (athleteId: number) =>
    (await h.sql.query<{ access: string | null; deauthorized: boolean }>(
      'select strava_access_token as access, deauthorized_at is not null as deauthorized from public.athletes where id = $1',
      [athleteId],
    )).rows[0]!;

  beforeAll(async () => {
    h = await harness();
    [a, b, c] = h.athleteIds as [number, number, number];
    disconnect = createAuthDisconnectHandler(h.deps);
  });
  afterAll(() => h.close());

  it('deauthorizes at Strava, drops the Strava tokens, revokes every session and purges the caches; another athlete is untouched', async () => {
    const phone = await signIn(a);
    const laptop = await signIn(a);
    const other = await signIn(b);
    for (const t of [phone.access_token, other.access_token]) {
      expect((await call(createApiActivitiesHandler, '/api/activities', t)).statusCode).toBe(200);
      expect((await call(createAiBriefHandler, '/api/ai-brief', t)).statusCode).toBe(200);
    }
    const stravaToken = (await stravaTokens(a)).access!;

    const res = await post(phone.access_token);
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toEqual({ status: 'disconnected', athlete_id: a, strava_deauthorized: true, sessions_revoked: 2, cache_entries_deleted: 2 });
    expect(h.deauthorized).toEqual([a]);
    await expect(h.deps.strava.getAthlete({ accessToken: stravaToken, refreshToken: 'gone', expiresAt: 4e9 })).rejects.toThrow();
    expect(await stravaTokens(a)).toEqual({ access: null, deauthorized: true });
    const keys = await cachedKeys();
    expect(keys.filter((k) => k === activitiesKey(a) || k.startsWith(`${userIdForAthlete(a)}:`))).toEqual([]);
    expect(keys).toContain(activitiesKey(b));

    // Every token of the athlete is dead at once; the other athlete's still work.
    for (const t of [phone.access_token, laptop.access_token]) {
      expect(expectClientError(await call(createApiActivitiesHandler, '/api/activities', t), 401)).toBe('SESSION_REVOKED');
    }
    expect(expectClientError(await post(laptop.access_token), 401)).toBe('SESSION_REVOKED');
    expect(expectClientError(await refresh(laptop.refresh_token), 401)).toMatch(/^REFRESH_TOKEN_/);
    expect((await call(createApiActivitiesHandler, '/api/activities', other.access_token)).statusCode).toBe(200);

    // Signing in with Strava again reconnects.
    const again = await signIn(a);
    expect((await call(createApiActivitiesHandler, '/api/activities', again.access_token)).statusCode).toBe(200);
    expect((await stravaTokens(a)).deauthorized).toBe(false);
  });

  it('a stored Strava token that has expired is refreshed first, so Strava still hears of the disconnect', async () => {
    await connectAthlete(h, c);
    const { access } = await stravaTokens(c);
    h.strava.fake.expireToken(access!);
    await h.sql.query('update public.athletes set strava_token_expires_at = to_timestamp(0) where id = $1', [c]);
    const session = await signIn(c);
    expect(bodyOf(await post(session.access_token))).toMatchObject({ status: 'disconnected', strava_deauthorized: true });
    expect(h.deauthorized).toContain(c);
  });

  it('when Strava cannot be reached nothing changes: 502, and the app can try again', async () => {
    const session = await signIn(b);
    const down = createAuthDisconnectHandler({
      ...h.deps,
      strava: { ...h.deps.strava, deauthorize: async () => Promise.reject(stravaErrorForStatus(503, 'deauthorization', 'down')) },
    });
    const res = await down(event('/auth/disconnect', { method: 'POST', token: session.access_token }), context('x'));
    expect(res.statusCode).toBe(502);
    expect(bodyOf(res).error.code).toBe('STRAVA_UNAVAILABLE');
    expect((await stravaTokens(b)).access).not.toBeNull();
    expect((await call(createApiActivitiesHandler, '/api/activities', session.access_token)).statusCode).toBe(200);
    expect((await post(session.access_token)).statusCode).toBe(200);
  });

  it('without a token 401, with an operator token 403, other methods 405', async () => {
    expect(expectClientError(await disconnect(event('/auth/disconnect', { method: 'POST' }), context('x')), 401)).toBe('AUTH_REQUIRED');
    const operator = tokenFor(h, a, { role: 'service_role' });
    expect(expectClientError(await disconnect(event('/auth/disconnect', { method: 'POST', token: operator }), context('x')), 403)).toBe('FORBIDDEN_ROLE');
    expect(expectClientError(await disconnect(event('/auth/disconnect', { method: 'GET' }), context('x')), 405)).toBe('METHOD_NOT_ALLOWED');
  });
});
