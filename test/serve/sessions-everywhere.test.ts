import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { localKeys } from '../../src/supabase/keys.js';
import { bearer, startTestServe, TEST_SECRET, type TestServe } from './helpers.js';

/** A signed-out session is signed out on every surface: the functions, /auth/v1 and /rest/v1. */
describe('sessions mean the same everywhere', () => {
  let serve: TestServe;
  beforeAll(async () => {
    serve = await startTestServe();
  }, 120_000);
  afterAll(async () => serve?.stop());

  const rest = (token: string) =>
    fetch(`${serve.url}/rest/v1/activities?select=id&limit=1`, { headers: { apikey: localKeys(TEST_SECRET).anonKey, ...bearer(token) } });
  const api = (token: string) => fetch(`${serve.url}/api/activities?limit=1`, { headers: bearer(token) });
  const user = (token: string) => fetch(`${serve.url}/auth/v1/user`, { headers: { apikey: localKeys(TEST_SECRET).anonKey, ...bearer(token) } });
  const refresh = (token: string) =>
    fetch(`${serve.url}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: token }) });

  it('after refresh-token reuse, the session\'s access token is refused on /rest/v1 as on /api and /auth/v1', async () => {
    const code = serve.fakeStrava!.issueCode(DEMO_ATHLETE_ID);
    const signIn = (await (await fetch(`${serve.url}/oauth/strava/callback?code=${code}&redirect=0`)).json()) as { access_token: string; refresh_token: string };
    expect((await rest(signIn.access_token)).status).toBe(200);
    expect((await refresh(signIn.refresh_token)).status).toBe(200);
    expect((await refresh(signIn.refresh_token)).status).toBe(401); // reuse: the session is revoked
    expect((await api(signIn.access_token)).status).toBe(401);
    expect((await user(signIn.access_token)).status).toBe(403);
    const refused = await rest(signIn.access_token);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('PGRST301');
  });

  it('/auth/disconnect with a token of no stored session (token mint, the banner\'s) revokes that token everywhere', async () => {
    const minted = serve.tokenFor(DEMO_ATHLETE_ID);
    const banner = serve.demo.token;
    for (const t of [minted, banner]) {
      expect((await rest(t)).status).toBe(200);
      expect((await api(t)).status).toBe(200);
    }
    const bye = await fetch(`${serve.url}/auth/disconnect`, { method: 'POST', headers: bearer(minted) });
    expect(bye.status).toBe(200);
    expect((await api(minted)).status).toBe(401);
    expect((await rest(minted)).status).toBe(401);
    expect((await user(minted)).status).toBe(403);
    const { rows } = await serve.sql.query<{ reason: string }>(
      `select revoked_reason as reason from public.auth_sessions where id = ($1::jsonb ->> 'session_id')::uuid`,
      [Buffer.from(minted.split('.')[1]!, 'base64url').toString()],
    );
    expect(rows).toEqual([{ reason: 'disconnected' }]);
    // Another token of no stored session (the banner's) is a session of its own: still valid.
    expect((await user(banner)).status).toBe(200);
  });
});
