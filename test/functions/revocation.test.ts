import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeAllSessionsForAthlete } from '../../src/auth/sessions.js';
import type { Handler } from '../../src/emulator/types.js';
import { createApiActivitiesHandler } from '../../src/functions/api-activities.js';
import { createAuthRefreshTokenHandler } from '../../src/functions/auth-refresh-token.js';
import type { FunctionDeps } from '../../src/functions/deps.js';
import { REVOCATION_SYNC_INTERVAL_MS } from '../../src/functions/lib/revocations.js';
import { createOauthStravaTokenExchangeHandler } from '../../src/functions/oauth-strava-token-exchange.js';
import { createStravaWebhookHandler } from '../../src/functions/strava-webhook.js';
import { bodyOf, context, event, expectClientError, harness, recordingSql, tokenFor, type Harness } from './helpers.js';

describe('revoked sessions: their access tokens stop working', () => {
  let h: Harness;
  let deps: FunctionDeps;
  let statements: string[];
  let activities: Handler;
  let a: number;
  let b: number;
  let eventTime = 1_781_100_000;

  const signIn = async (athleteId: number) =>
    bodyOf(await createOauthStravaTokenExchangeHandler(deps)(event('/oauth/strava/callback', { query: { code: h.strava.fake.issueCode(athleteId) } }), context('x')));
  const refresh = (refreshToken: string) =>
    createAuthRefreshTokenHandler(deps)(event('/auth/refresh', { method: 'POST', body: JSON.stringify({ refresh_token: refreshToken }) }), context('x'));
  const list = (token: string) => activities(event('/api/activities', { token }), context('x'));
  const expectWorks = async (token: string) => expect((await list(token)).statusCode).toBe(200);
  const expectRevoked = async (token: string) => expect(expectClientError(await list(token), 401)).toBe('SESSION_REVOKED');

  beforeAll(async () => {
    h = await harness();
    [a, b] = h.athleteIds as [number, number];
    const rec = recordingSql(h.sql);
    deps = { ...h.deps, sql: rec.sql };
    statements = rec.statements;
    activities = createApiActivitiesHandler(deps);
  });
  afterAll(() => h.close());

  it('reusing a rotated refresh token: the session\'s old and new access tokens get 401 at once; another athlete\'s still work', async () => {
    const first = await signIn(a);
    const other = await signIn(b);
    await expectWorks(first.access_token);
    await expectWorks(other.access_token);
    const rotated = bodyOf(await refresh(first.refresh_token));
    await expectWorks(rotated.access_token);

    expect(expectClientError(await refresh(first.refresh_token), 401)).toBe('REFRESH_TOKEN_REUSED');
    await expectRevoked(first.access_token);
    await expectRevoked(rotated.access_token);
    await expectWorks(other.access_token);
  });

  it('Strava deauthorization: every access token of the athlete gets 401; another athlete\'s still work', async () => {
    const phone = await signIn(a);
    const laptop = await signIn(a);
    const other = await signIn(b);
    await expectWorks(phone.access_token);
    const hook = createStravaWebhookHandler(deps);
    h.strava.fake.revokeAthlete(a);
    const deauth = { object_type: 'athlete', object_id: a, aspect_type: 'update', owner_id: a, event_time: ++eventTime, updates: { authorized: 'false' } };
    expect(bodyOf(await hook(event('/webhooks/strava', { method: 'POST', body: JSON.stringify(deauth) }), context('x')))).toEqual({ status: 'deauthorized' });
    await expectRevoked(phone.access_token);
    await expectRevoked(laptop.access_token);
    await expectWorks(other.access_token);
  });

  it('a revocation made by another process is seen within the sync interval', async () => {
    const other = await signIn(b);
    await expectWorks(other.access_token);
    // Straight on the database, as `veloready` on another connection would: this wiring is not told.
    await revokeAllSessionsForAthlete(h.sql, b, { clock: h.clock, reason: 'test' });
    h.clock.advance(REVOCATION_SYNC_INTERVAL_MS);
    await expectRevoked(other.access_token);
  });

  it('tokens of no stored session (token mint, the demo token) keep working', async () => {
    await expectWorks(tokenFor(h, b));
  });

  it('the hot path reads no table while nothing is due: a HIT is answered without one query', async () => {
    const token = tokenFor(h, b);
    await expectWorks(token);
    statements.length = 0;
    for (let i = 0; i < 20; i++) await expectWorks(token);
    h.clock.advance(REVOCATION_SYNC_INTERVAL_MS - 1);
    await expectWorks(token);
    expect(statements).toEqual([]);
    // Once the interval has passed, one request catches up with the sessions table: one query.
    h.clock.advance(1);
    await Promise.all([expectWorks(token), expectWorks(token), expectWorks(token)]);
    expect(statements.filter((q) => /auth_sessions/.test(q))).toHaveLength(1);
  });
});
