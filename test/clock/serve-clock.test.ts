import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAccessToken } from '../../src/auth/jwt.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { ADMIN_TOKEN_HEADER } from '../../src/control/admin-guard.js';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { runCli } from '../helpers/cli.js';
import { bearer, startTestServe, TEST_SECRET, type TestServe } from '../serve/helpers.js';

const T = Date.parse('2026-03-01T02:30:00Z');
const HOUR = 3600_000;
const DAY = 24 * HOUR;

let serve: TestServe;
let clock: VirtualClock;
beforeAll(async () => {
  clock = new VirtualClock({ atMs: T, frozen: true });
  serve = await startTestServe({ clock });
}, 180_000);
afterAll(async () => serve?.stop());

async function changeClock(body: Record<string, unknown>): Promise<any> {
  const res = await fetch(`${serve.url}/_/api/clock`, {
    method: 'POST',
    headers: { [ADMIN_TOKEN_HEADER]: serve.adminToken, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json();
}

/** The app's sign-in: fake Strava consent → callback → access + refresh tokens. */
async function signIn(): Promise<{ access: string; refresh: string }> {
  const fake = serve.fakeStrava!;
  const callback = `${serve.url}/oauth/strava/callback`;
  const page = await fetch(`${serve.url}/strava/oauth/authorize?client_id=${fake.clientId}&redirect_uri=${encodeURIComponent(callback)}&response_type=code&scope=read,activity:read_all&state=s`);
  const html = await page.text();
  const form = new URLSearchParams([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m): [string, string] => [m[1]!, m[2]!.replace(/&amp;/g, '&')]));
  form.set('athlete_id', String(DEMO_ATHLETE_ID));
  const approved = await fetch(`${serve.url}/strava/oauth/authorize`, { method: 'POST', body: form, redirect: 'manual' });
  const code = new URL(approved.headers.get('location')!).searchParams.get('code');
  const tokens = (await (await fetch(`${callback}?code=${code}&redirect=0`)).json()) as { access_token: string; refresh_token: string };
  return { access: tokens.access_token, refresh: tokens.refresh_token };
}

const refresh = (token: string) =>
  fetch(`${serve.url}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: token }) });

describe('serve on a virtual clock', () => {
  it('a token minted at virtual T is refused after clock advance 2h; a refresh still works until 30 days', async () => {
    const { access, refresh: first } = await signIn();
    expect((await fetch(`${serve.url}/api/activities?limit=1`, { headers: bearer(access) })).status).toBe(200);

    await changeClock({ action: 'advance', by: '2h' });
    const expired = await fetch(`${serve.url}/api/activities?limit=1`, { headers: bearer(access) });
    expect(expired.status).toBe(401);

    const rotated = await refresh(first);
    expect(rotated.status).toBe(200);
    const next = (await rotated.json()) as { access_token: string; refresh_token: string };
    expect((await fetch(`${serve.url}/api/activities?limit=1`, { headers: bearer(next.access_token) })).status).toBe(200);

    // The rotated refresh token was issued at T+2h: good until T+30d+2h.
    await changeClock({ action: 'advance', by: '29d' });
    const late = await refresh(next.refresh_token);
    expect(late.status).toBe(200);
    const last = (await late.json()) as { refresh_token: string };
    await changeClock({ action: 'advance', by: '31d' });
    const tooLate = await refresh(last.refresh_token);
    expect(tooLate.status).toBe(401);
  });

  it('a 24 h cache entry is a HIT at +23 h and a MISS at +25 h', async () => {
    const token = () => mintAccessToken({ secret: TEST_SECRET, clock, athleteId: DEMO_ATHLETE_ID }).token;
    const get = () => fetch(`${serve.url}/api/activities?limit=3`, { headers: bearer(token()) });
    await get();
    const fresh = await get();
    expect(fresh.headers.get('x-cache')).toBe('HIT');
    await changeClock({ action: 'advance', by: '23h' });
    const at23 = await get();
    expect(at23.headers.get('x-cache')).toBe('HIT');
    await changeClock({ action: 'advance', by: '2h' });
    const at25 = await get();
    expect(at25.headers.get('x-cache')).toBe('MISS');
  });

  it('clock advance 1d across 03:00 runs nightly-reconcile once and cleanup 24 times', async () => {
    await changeClock({ action: 'set', time: '2026-06-01T02:30:00Z' });
    serve.scheduler.start();
    const answer = await changeClock({ action: 'advance', by: '1d' });
    const ran = answer.ran.map((r: { function: string }) => r.function);
    expect(ran.filter((f: string) => f === 'nightly-reconcile')).toHaveLength(1);
    expect(ran.filter((f: string) => f === 'cleanup')).toHaveLength(24);
    expect(answer.ran.every((r: { status: number }) => r.status === 200)).toBe(true);
    expect(answer.clock).toMatchObject({ now: '2026-06-02T02:30:00.000Z', frozen: true });
    await serve.scheduler.stop();
  }, 120_000);

  it('the request log shows the real time beside the virtual one', async () => {
    const entries: any[] = [];
    const off = serve.log.subscribe((e) => entries.push(e));
    await fetch(`${serve.url}/api/activities`);
    off();
    const line = entries.find((e) => e.type === 'request');
    expect(line.time).toMatch(/^2026-06-02T02:30/);
    expect(Math.abs(Date.parse(line.realTime) - Date.now())).toBeLessThan(60_000);
  });

  it('the clock API needs the per-run token for changes', async () => {
    const res = await fetch(`${serve.url}/_/api/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"freeze"}' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ADMIN_TOKEN_REQUIRED');
    const bad = await fetch(`${serve.url}/_/api/clock`, {
      method: 'POST',
      headers: { [ADMIN_TOKEN_HEADER]: serve.adminToken, 'content-type': 'application/json' },
      body: '{"action":"advance","by":"soon"}',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_DURATION');
  });

  it('veloready clock shows and changes the running serve (--json, exit codes)', async () => {
    const shown = await runCli(['clock', '--json', '--data-dir', serve.dataDir]);
    expect(shown.exitCode).toBe(0);
    expect(JSON.parse(shown.stdout).clock).toMatchObject({ now: '2026-06-02T02:30:00.000Z', frozen: true });

    const advanced = await runCli(['clock', 'advance', '90m', '--data-dir', serve.dataDir], { env: { NO_COLOR: '1' } });
    expect(advanced.exitCode).toBe(0);
    expect(advanced.stdout).toContain('2026-06-02T04:00:00.000Z (frozen)');
    expect(clock.now()).toBe(Date.parse('2026-06-02T04:00:00Z'));

    const resumed = await runCli(['clock', 'resume', '--json', '--data-dir', serve.dataDir]);
    expect(JSON.parse(resumed.stdout).clock.frozen).toBe(false);
    clock.freeze();

    const bad = await runCli(['clock', 'set', 'yesterday', '--data-dir', serve.dataDir]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('invalid time "yesterday"');
  }, 60_000);

  it('stream rows are cached and expire by the virtual clock: cleanup sweeps them only once it passes their expiry', async () => {
    await changeClock({ action: 'set', time: '2026-07-01T00:00:00Z' });
    const at = clock.now();
    const { rows } = await serve.sql.query<{ id: string }>('select id::text as id from public.activities where athlete_id = $1 order by start_date desc limit 1', [DEMO_ATHLETE_ID]);
    const activityId = rows[0]!.id;
    await serve.sql.query('delete from public.activity_streams where activity_id = $1', [activityId]);
    const token = mintAccessToken({ secret: TEST_SECRET, clock, athleteId: DEMO_ATHLETE_ID }).token;
    const res = await fetch(`${serve.url}/api/streams/${activityId}`, { headers: bearer(token) });
    expect(res.status).toBe(200);
    const stored = async () =>
      (
        await serve.sql.query<{ cached: string; expires: string }>(
          `select (extract(epoch from cached_at) * 1000)::bigint::text as cached, (extract(epoch from expires_at) * 1000)::bigint::text as expires
             from public.activity_streams where activity_id = $1`,
          [activityId],
        )
      ).rows;
    const rowsAtStore = await stored();
    expect(rowsAtStore.length).toBeGreaterThan(0);
    // Cached at serve's (virtual) time, not the machine's, and kept 7 days from it.
    expect(new Set(rowsAtStore.map((r) => Number(r.cached)))).toEqual(new Set([at]));
    expect(new Set(rowsAtStore.map((r) => Number(r.expires)))).toEqual(new Set([at + 7 * DAY]));

    const cleanup = async () => {
      const operator = mintAccessToken({ secret: TEST_SECRET, clock, role: 'service_role' }).token;
      const r = await fetch(`${serve.url}/.netlify/functions/cleanup`, { method: 'POST', headers: bearer(operator) });
      expect(r.status).toBe(200);
      return ((await r.json()) as { stream_rows_deleted: number }).stream_rows_deleted;
    };
    await changeClock({ action: 'advance', by: '6d' });
    expect(await cleanup()).toBe(0);
    expect(await stored()).toHaveLength(rowsAtStore.length);
    await changeClock({ action: 'advance', by: '1d' });
    expect(await cleanup()).toBe(rowsAtStore.length);
    expect(await stored()).toEqual([]);
  }, 60_000);

  it('veloready clock says clearly when no serve runs', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'vr-noserve-'));
    const r = await runCli(['clock', 'advance', '1h', '--data-dir', join(empty, '.veloready')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/no veloready serve is running for .*\n.*veloready serve/);
  });
});
