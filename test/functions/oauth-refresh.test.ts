import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAccessToken } from '../../src/auth/jwt.js';
import { emailForAthlete, userIdForAthlete } from '../../src/auth/user-id.js';
import type { Handler } from '../../src/emulator/types.js';
import { createApiActivitiesHandler } from '../../src/functions/api-activities.js';
import { createAuthRefreshTokenHandler } from '../../src/functions/auth-refresh-token.js';
import { createOauthStravaTokenExchangeHandler } from '../../src/functions/oauth-strava-token-exchange.js';
import { bodyOf, context, event, expectClientError, harness, header, JWT_SECRET, type Harness } from './helpers.js';

describe('oauth-strava-token-exchange and auth-refresh-token', () => {
  let h: Harness;
  let oauth: Handler;
  let refresh: Handler;
  let athlete: number;

  const callback = (query: Record<string, string>, method = 'GET') =>
    oauth(event('/oauth/strava/callback', { query, method }), context('oauth-strava-token-exchange'));
  const postRefresh = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    refresh(
      event('/auth/refresh', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) }),
      context('auth-refresh-token'),
    );

  beforeAll(async () => {
    h = await harness();
    athlete = h.athleteIds[1]!;
    oauth = createOauthStravaTokenExchangeHandler(h.deps);
    refresh = createAuthRefreshTokenHandler(h.deps);
  });
  afterAll(() => h.close());

  it('a Strava code gives JSON tokens (1 h access, 30 d refresh) and creates the athlete and its auth user', async () => {
    const code = h.strava.fake.issueCode(athlete, 'read,activity:read_all');
    const res = await callback({ code, scope: 'read,activity:read_all' });
    expect(res.statusCode).toBe(200);
    const body = bodyOf(res);
    expect(body.expires_in).toBe(3600);
    expect(body.refresh_token_expires_at - Math.floor(h.clock.now() / 1000)).toBe(30 * 86400);
    const claims = verifyAccessToken(body.access_token, { secret: JWT_SECRET, clock: h.clock });
    expect(claims.sub).toBe(userIdForAthlete(athlete));
    expect(claims.email).toBe(emailForAthlete(athlete));
    expect(claims.role).toBe('authenticated');
    expect(claims.app_metadata).toMatchObject({ provider: 'strava', athlete_id: athlete });
    const users = await h.sql.query<{ email: string }>('select email from auth.users where id = $1', [userIdForAthlete(athlete)]);
    expect(users.rows[0]?.email).toBe(`strava-${athlete}@veloready.app`);
    const athletes = await h.sql.query<{ strava_access_token: string; strava_scope: string }>(
      'select strava_access_token, strava_scope from public.athletes where id = $1',
      [athlete],
    );
    expect(athletes.rows[0]?.strava_access_token).toBeTruthy();
    expect(athletes.rows[0]?.strava_scope).toBe('read,activity:read_all');
    // The new token works on the API straight away.
    const api = await createApiActivitiesHandler(h.deps)(event('/api/activities', { token: body.access_token }), context('api-activities'));
    expect(api.statusCode).toBe(200);
    expect(bodyOf(api).activities.length).toBeGreaterThan(0);
  });

  it('with a state (a browser back from the consent page) it redirects to the deep link with the tokens', async () => {
    const code = h.strava.fake.issueCode(athlete, 'read,activity:read');
    const res = await callback({ code, state: 'xyz' });
    expect(res.statusCode).toBe(302);
    const location = new URL(header(res, 'location')!);
    expect(location.protocol).toBe('veloready:');
    expect(`${location.protocol}//${location.host}`).toBe('veloready://auth');
    expect(location.searchParams.get('state')).toBe('xyz');
    expect(location.searchParams.get('expires_in')).toBe('3600');
    expect(location.searchParams.get('refresh_token')).toBeTruthy();
    verifyAccessToken(location.searchParams.get('access_token')!, { secret: JWT_SECRET, clock: h.clock });
    // redirect=0 forces JSON even with a state
    const json = await callback({ code: h.strava.fake.issueCode(athlete), state: 'xyz', redirect: '0' });
    expect(json.statusCode).toBe(200);
  });

  it('bad OAuth input is a 4xx JSON: denied, missing, malformed, unknown or reused code, wrong method', async () => {
    expect(expectClientError(await callback({ error: 'access_denied' }), 400)).toBe('OAUTH_DENIED');
    const denied = await callback({ error: 'access_denied', state: 's' });
    expect(header(denied, 'location')).toContain('error=access_denied');
    expect(expectClientError(await callback({}), 400)).toBe('CODE_REQUIRED');
    expect(expectClientError(await callback({ code: 'a b<script>' }), 400)).toBe('INVALID_CODE');
    expect(expectClientError(await callback({ code: 'unknown-code' }), 400)).toBe('INVALID_CODE');
    const code = h.strava.fake.issueCode(athlete);
    expect((await callback({ code })).statusCode).toBe(200);
    expect(expectClientError(await callback({ code }), 400)).toBe('INVALID_CODE');
    expect(expectClientError(await callback({ code: 'x' }, 'DELETE'), 405)).toBe('METHOD_NOT_ALLOWED');
    const badJson = await oauth(event('/oauth/strava/callback', { method: 'POST', body: '{nope' }), context('x'));
    expect(expectClientError(badJson, 400)).toBe('INVALID_JSON');
  });

  it('a POST with the code in a JSON body works too', async () => {
    const code = h.strava.fake.issueCode(athlete);
    const res = await oauth(event('/oauth/strava/callback', { method: 'POST', body: JSON.stringify({ code }) }), context('x'));
    expect(res.statusCode).toBe(200);
  });

  it('refresh rotates: the new pair works; reusing the old refresh token revokes the session (401)', async () => {
    const signIn = bodyOf(await callback({ code: h.strava.fake.issueCode(athlete) }));
    h.clock.advance(5 * 60_000);
    const rotated = await postRefresh({ refresh_token: signIn.refresh_token });
    expect(rotated.statusCode).toBe(200);
    const pair = bodyOf(rotated);
    expect(pair.refresh_token).not.toBe(signIn.refresh_token);
    expect(pair.athlete_id).toBe(athlete);
    const claims = verifyAccessToken(pair.access_token, { secret: JWT_SECRET, clock: h.clock });
    expect(claims.app_metadata?.athlete_id).toBe(athlete);
    expect(claims.exp).toBeGreaterThan(verifyAccessToken(signIn.access_token, { secret: JWT_SECRET, clock: h.clock }).exp);

    const reuse = await postRefresh({ refresh_token: signIn.refresh_token });
    expect(expectClientError(reuse, 401)).toBe('REFRESH_TOKEN_REUSED');
    // The whole session is gone: the newest token no longer works either.
    expect(expectClientError(await postRefresh({ refresh_token: pair.refresh_token }), 401)).toBe('REFRESH_TOKEN_REUSED');
    const { rows } = await h.sql.query<{ revoked_at: unknown }>('select revoked_at from public.auth_sessions where id = $1', [claims.session_id]);
    expect(rows[0]?.revoked_at).not.toBeNull();
  });

  it('refresh accepts form bodies, and refuses bad input with 4xx JSON', async () => {
    const signIn = bodyOf(await callback({ code: h.strava.fake.issueCode(athlete) }));
    const form = await postRefresh(`refresh_token=${encodeURIComponent(signIn.refresh_token)}`, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.statusCode).toBe(200);
    expect(expectClientError(await postRefresh({ refresh_token: 'never-issued' }), 401)).toBe('REFRESH_TOKEN_INVALID');
    expect(expectClientError(await postRefresh({}), 400)).toBe('REFRESH_TOKEN_REQUIRED');
    expect(expectClientError(await postRefresh({ refresh_token: 42 }), 400)).toBe('REFRESH_TOKEN_REQUIRED');
    expect(expectClientError(await postRefresh('{"refresh_token":'), 400)).toBe('INVALID_JSON');
    expect(expectClientError(await postRefresh('[1,2]'), 400)).toBe('INVALID_BODY');
    expect(expectClientError(await postRefresh(''), 400)).toBe('BODY_REQUIRED');
    expect(expectClientError(await postRefresh({ refresh_token: 'x'.repeat(100_000) }), 413)).toBe('BODY_TOO_LARGE');
    const get = await refresh(event('/auth/refresh'), context('x'));
    expect(expectClientError(get, 405)).toBe('METHOD_NOT_ALLOWED');
    expect(header(get, 'allow')).toBe('POST');
  });

  it('tokens from sign-in and refresh name the site they came from as issuer (config.issuer)', async () => {
    const site = { ...h.deps, config: { ...h.deps.config, issuer: 'http://127.0.0.1:9911/auth/v1' } };
    const signIn = bodyOf(await createOauthStravaTokenExchangeHandler(site)(event('/oauth/strava/callback', { query: { code: h.strava.fake.issueCode(athlete) } }), context('x')));
    expect(verifyAccessToken(signIn.access_token, { secret: JWT_SECRET, clock: h.clock }).iss).toBe('http://127.0.0.1:9911/auth/v1');
    const rotated = bodyOf(await createAuthRefreshTokenHandler(site)(event('/auth/refresh', { method: 'POST', body: JSON.stringify({ refresh_token: signIn.refresh_token }) }), context('x')));
    expect(verifyAccessToken(rotated.access_token, { secret: JWT_SECRET, clock: h.clock }).iss).toBe('http://127.0.0.1:9911/auth/v1');
  });

  it('an expired refresh token is refused', async () => {
    const signIn = bodyOf(await callback({ code: h.strava.fake.issueCode(athlete) }));
    h.clock.advance(31 * 86_400_000);
    expect(expectClientError(await postRefresh({ refresh_token: signIn.refresh_token }), 401)).toBe('REFRESH_TOKEN_EXPIRED');
  });
});
