import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAccessToken } from '../../src/auth/jwt.js';
import { systemClock } from '../../src/clock.js';
import { createAthleteDirectory } from '../../src/strava/fake-athletes.js';
import { startFakeStrava, type RunningFakeStrava } from '../../src/strava/fake-server.js';
import { scratchDir } from '../helpers/cli.js';
import { migratedDataDir } from '../helpers/db.js';
import { bearer, READY_LINE, readyOf, serveUntil, stopCli, TEST_SECRET, waitForJob, type CliServe } from './helpers.js';
import { readJson } from '../helpers/json.js';

/** An athlete only the separately started fake Strava knows (serve's own fake has the demo athlete). */
const ATHLETE = 777_001;
const HOST = '127.0.0.2';
const DEEP_LINK = 'myapp://signed-in';

/** One `veloready serve` with --host, --strava-url, --deep-link and --sync-timeout, as a user starts it. */
describe('veloready serve flags through the CLI', () => {
  const cwd = scratchDir('vr-serve-flags-');
  let dataDir: string;
  let strava: RunningFakeStrava;
  let serve: CliServe;
  let url: string;
  const callback = (query: string) => fetch(`${url}/oauth/strava/callback?${query}`, { redirect: 'manual' });
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    strava = await startFakeStrava({ athletes: createAthleteDirectory({ count: 0, ids: [ATHLETE] }) });
    dataDir = await migratedDataDir();
    serve = await serveUntil(
      cwd,
      ['--data-dir', dataDir, '--json', '--host', HOST, '--strava-url', strava.url, '--deep-link', DEEP_LINK, '--sync-timeout', '1'],
      READY_LINE,
      { STRAVA_CLIENT_ID: strava.fake.clientId, STRAVA_CLIENT_SECRET: strava.fake.clientSecret, SUPABASE_JWT_SECRET: TEST_SECRET },
    );
    url = readyOf(serve).url;
  }, 120_000);
  afterAll(async () => {
    if (serve) expect(await stopCli(serve)).toBe(0);
    await strava?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(cwd, { recursive: true, force: true });
  });

  it('--host: listens on that interface only', async () => {
    expect(url).toMatch(new RegExp(`^http://${HOST.replace(/\./g, '\\.')}:\\d+$`));
    const r = await fetch(`${url}/api/activities?limit=1`, { headers: bearer(readyOf(serve).demoToken) });
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    const other = await fetch(url.replace(HOST, '127.0.0.1')).catch((err: Error & { cause?: { code?: string } }) => err.cause?.code);
    expect(other).toBe('ECONNREFUSED');
  });

  it('--strava-url: the OAuth exchange and a backfill go to that Strava server', async () => {
    expect(readyOf(serve)).not.toHaveProperty('stravaUrl'); // no fake mounted under /strava
    const code = strava.fake.issueCode(ATHLETE);
    const r = await callback(`code=${code}&redirect=0`);
    expect(r.status).toBe(200);
    const tokens = await readJson(r);
    expect(tokens.athlete.id).toBe(ATHLETE);
    // The code was redeemed at that server: a second exchange is refused.
    const again = await callback(`code=${code}&redirect=0`);
    expect(again.status).toBe(400);
    expect((await readJson(again)).error.code).toBe('INVALID_CODE');

    const before = strava.fake.usage().read[1];
    const started = await fetch(`${url}/.netlify/functions/backfill-background`, {
      method: 'POST',
      headers: { ...bearer(mintAccessToken({ secret: TEST_SECRET, clock: systemClock, role: 'service_role' }).token), ...json },
      body: JSON.stringify({ athlete_id: ATHLETE }),
    });
    expect(started.status).toBe(202);
    const job = await waitForJob(url, started.headers.get('x-job-id')!);
    expect(job.status).toBe('succeeded');
    const pages = job.progress.pages_fetched as number;
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(strava.fake.usage().read[1] - before).toBeGreaterThanOrEqual(pages);
    const list = await fetch(`${url}/api/activities?limit=200`, { headers: bearer(tokens.access_token) });
    expect((await readJson(list)).activities).toHaveLength(Math.min(200, job.progress.activities_upserted as number));
  });

  it('--deep-link: the OAuth callback from a browser redirects to the configured scheme', async () => {
    const r = await callback(`code=${strava.fake.issueCode(ATHLETE)}&state=s42`);
    expect(r.status).toBe(302);
    const location = new URL(r.headers.get('location')!);
    expect(`${location.protocol}//${location.host}`).toBe(DEEP_LINK);
    expect(location.searchParams.get('state')).toBe('s42');
    expect(location.searchParams.get('access_token')).toEqual(expect.any(String));
    const denied = await callback('error=access_denied&state=s43');
    expect(denied.status).toBe(302);
    expect(denied.headers.get('location')).toBe(`${DEEP_LINK}?error=access_denied&state=s43`);
  });

  it('a Strava deauthorization webhook revokes the athlete\'s refresh tokens', async () => {
    const signIn = await readJson(await callback(`code=${strava.fake.issueCode(ATHLETE)}&redirect=0`));
    const refresh = (token: string) => fetch(`${url}/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: token }) });
    const rotated = await refresh(signIn.refresh_token);
    expect(rotated.status).toBe(200);
    const live = (await readJson(rotated)).refresh_token as string;

    const event = { object_type: 'athlete', object_id: ATHLETE, aspect_type: 'update', owner_id: ATHLETE, subscription_id: 1, event_time: 1_790_000_100, updates: { authorized: 'false' } };
    const forged = await fetch(`${url}/webhooks/strava`, { method: 'POST', headers: json, body: JSON.stringify({ ...event, event_time: 1_790_000_099 }) });
    expect(await forged.json()).toEqual({ status: 'unconfirmed' });
    strava.fake.revokeAthlete(ATHLETE);
    const hook = await fetch(`${url}/webhooks/strava`, { method: 'POST', headers: json, body: JSON.stringify(event) });
    expect(hook.status).toBe(200);
    expect(await readJson(hook)).toEqual({ status: 'deauthorized' });

    const after = await refresh(live);
    expect(after.status).toBe(401);
    expect((await readJson(after)).error.code).toMatch(/^REFRESH_TOKEN_/);
  });

  it('--sync-timeout: a function slower than it gets a JSON 504 naming the function', async () => {
    strava.fake.setFaults({ latencyMs: 2000 });
    try {
      const code = strava.fake.issueCode(ATHLETE);
      const started = Date.now();
      const r = await callback(`code=${code}&redirect=0`);
      const elapsed = Date.now() - started;
      expect(r.status).toBe(504);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      const body = await readJson(r);
      expect(body.error).toMatchObject({ code: 'FUNCTION_TIMEOUT', message: expect.stringContaining('oauth-strava-token-exchange') });
      expect(body.error.message).toContain('1 s');
      expect(elapsed).toBeGreaterThanOrEqual(900);
    } finally {
      strava.fake.setFaults({});
    }
  });
});
