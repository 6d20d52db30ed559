import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, mintAccessToken, signJwt } from '../../src/auth/jwt.js';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { ManualClock, systemClock } from '../../src/clock.js';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { localKeys } from '../../src/supabase/keys.js';
import { loadBadRequests, requestOf } from '../helpers/bad-requests.js';
import { TEST_SECRET, bearer, startTestServe, waitForJob, type TestServe } from './helpers.js';
import { readJson } from '../helpers/json.js';

const fixtures = loadBadRequests('emulator.json', 'serve.json');

let serve: TestServe;
let placeholders: Record<string, string>;
const OTHER_ATHLETE = 1_000_001;

beforeAll(async () => {
  serve = await startTestServe({ seedAthletes: 1 });
  const now = Date.now();
  placeholders = {
    token: serve.tokenFor(DEMO_ATHLETE_ID),
    operatorToken: serve.tokenFor(0, 'service_role'),
    expiredToken: mintAccessToken({ secret: TEST_SECRET, clock: new ManualClock(now - 7200_000), athleteId: DEMO_ATHLETE_ID }).token,
    wrongSecretToken: mintAccessToken({ secret: 'another-secret-another-secret-another-secret', clock: systemClock, athleteId: DEMO_ATHLETE_ID }).token,
    algNoneToken: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: userIdForAthlete(DEMO_ATHLETE_ID), role: 'authenticated', aud: 'authenticated', exp: Math.floor(now / 1000) + 600 })).toString('base64url')}.`,
    anonToken: signJwt({ role: 'anon', iss: 'supabase-demo', iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 600 }, TEST_SECRET),
  };
}, 120_000);
afterAll(async () => serve?.stop());

describe('serve: hostile input on every route answers a 4xx JSON error, never a 500', () => {
  for (const c of fixtures) {
    it(c.name, async () => {
      const r = await fetch(`${serve.url}${c.path}`, { ...requestOf(c, placeholders), redirect: 'manual' });
      expect(r.status, c.name).toBe(c.expectStatus);
      const text = await r.text();
      if (c.expectStatus >= 400) {
        const parsed = JSON.parse(text);
        expect(parsed.error, 'JSON error shape').toMatchObject({ code: expect.any(String), message: expect.any(String) });
        if (c.expectCode) expect(parsed.error.code).toBe(c.expectCode);
      }
      if (c.expectJobStatus) {
        const job = await waitForJob(serve.url, r.headers.get('x-job-id')!);
        expect(job.status).toBe('failed');
      }
      // ...and the server keeps serving.
      const health = await fetch(`${serve.url}/api/activities?limit=1`, { headers: bearer(placeholders.token!) });
      expect(health.status).toBe(200);
      await health.arrayBuffer();
    });
  }
});

describe('serve: isolation between athletes', () => {
  let otherActivity: number;
  beforeAll(async () => {
    const { rows } = await serve.sql.query<{ id: string }>('select id::text as id from public.activities where athlete_id = $1 order by start_date desc limit 1', [OTHER_ATHLETE]);
    otherActivity = Number(rows[0]!.id);
    // Warm B's caches so a leak through the blob cache would show.
    const b = serve.tokenFor(OTHER_ATHLETE);
    for (const p of ['/api/activities', `/api/streams/${otherActivity}`, '/api/ai-brief']) await (await fetch(`${serve.url}${p}`, { headers: bearer(b) })).arrayBuffer();
  });

  it("A's activities never include B's, whatever A sends", async () => {
    const a = placeholders.token!;
    for (const path of ['/api/activities?limit=200', `/api/activities?athlete_id=${OTHER_ATHLETE}`, `/api/activities?athlete=${OTHER_ATHLETE}&limit=200`]) {
      const r = await fetch(`${serve.url}${path}`, { headers: { ...bearer(a), 'x-athlete-id': String(OTHER_ATHLETE), 'x-user-id': userIdForAthlete(OTHER_ATHLETE) } });
      expect(r.status).toBe(200);
      const body = await readJson(r);
      expect(body.activities.length).toBeGreaterThan(0);
      for (const act of body.activities) expect(act.athlete?.id ?? body.athlete_id).toBe(DEMO_ATHLETE_ID);
    }
  });

  it("A gets 404 for B's streams, even with B's streams cached", async () => {
    const r = await fetch(`${serve.url}/api/streams/${otherActivity}`, { headers: bearer(placeholders.token!) });
    expect(r.status).toBe(404);
    expect((await readJson(r)).error.code).toEqual(expect.any(String));
  });

  it("A's brief is A's, not B's", async () => {
    const a = await readJson(await fetch(`${serve.url}/api/ai-brief`, { headers: bearer(placeholders.token!) }));
    const b = await readJson(await fetch(`${serve.url}/api/ai-brief`, { headers: bearer(serve.tokenFor(OTHER_ATHLETE)) }));
    expect(a.athlete_id).toBe(DEMO_ATHLETE_ID);
    expect(b.athlete_id).toBe(OTHER_ATHLETE);
    expect(a.brief).not.toBe(b.brief);
  });
});

describe('serve: sign-in tokens name this server; disconnect ends them', () => {
  it('OAuth on a port other than 8888 issues tokens whose iss is this server; POST /auth/disconnect then makes them 401', async () => {
    expect(new URL(serve.url).port).not.toBe('8888');
    const code = serve.fakeStrava!.issueCode(OTHER_ATHLETE);
    const signIn = await readJson(await fetch(`${serve.url}/oauth/strava/callback?code=${code}&redirect=0`));
    expect(decodeJwt(signIn.access_token).claims.iss).toBe(`${serve.url}/auth/v1`);
    const rotated = await readJson(await fetch(`${serve.url}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: signIn.refresh_token }) }));
    expect(decodeJwt(rotated.access_token).claims.iss).toBe(`${serve.url}/auth/v1`);
    // The Supabase Auth subset mints with the same issuer.
    const viaGoTrue = await fetch(`${serve.url}/auth/v1/token?grant_type=refresh_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', apikey: localKeys(TEST_SECRET).anonKey },
      body: JSON.stringify({ refresh_token: rotated.refresh_token }),
    });
    expect(viaGoTrue.status).toBe(200);
    const goTrue = await readJson(viaGoTrue);
    expect(decodeJwt(goTrue.access_token).claims.iss).toBe(`${serve.url}/auth/v1`);
    rotated.access_token = goTrue.access_token;

    const res = await fetch(`${serve.url}/auth/disconnect`, { method: 'POST', headers: bearer(rotated.access_token) });
    expect(res.status).toBe(200);
    expect(await readJson(res)).toMatchObject({ status: 'disconnected', athlete_id: OTHER_ATHLETE, strava_deauthorized: true });
    const after = await fetch(`${serve.url}/api/activities`, { headers: bearer(rotated.access_token) });
    expect(after.status).toBe(401);
    expect((await readJson(after)).error.code).toBe('SESSION_REVOKED');
  });
});
