import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { serveInfoPath } from '../../src/db/paths.js';
import { bannerLines, serveSummary } from '../../src/serve/summary.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_HEADER } from '../../src/control/admin-guard.js';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { localKeys } from '../../src/supabase/keys.js';
import { REDACTED } from '../../src/util/redact.js';
import { bearer, startTestServe, TEST_SECRET, type TestServe } from '../serve/helpers.js';

let serve: TestServe;
beforeAll(async () => {
  serve = await startTestServe();
}, 120_000);
afterAll(async () => {
  await serve?.stop();
});

const api = (path: string) => `${serve.url}/_/api${path}`;
const token = () => ({ [ADMIN_TOKEN_HEADER]: serve.adminGuard.token });
const post = (path: string, body: unknown = {}, headers: Record<string, string> = token()) =>
  fetch(api(path), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const getJson = async (path: string) => {
  const r = await fetch(api(path));
  expect(r.status, await r.clone().text()).toBe(200);
  return (await r.json()) as any;
};

/** A raw request with a Host header of our choosing (fetch will not send a foreign Host). */
function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(serve.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the event stream (so exchanges are captured) and collects request batches. */
async function openEvents(): Promise<{ requests: any[]; close(): void }> {
  const controller = new AbortController();
  const r = await fetch(api('/events'), { signal: controller.signal });
  const requests: any[] = [];
  const reader = r.body!.getReader();
  void (async () => {
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += Buffer.from(value).toString();
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev === 'requests' && data) requests.push(...JSON.parse(data));
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return { requests, close: () => controller.abort() };
}

const until = async <T>(fn: () => T | undefined | Promise<T | undefined>, ms = 3000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('inspector security', () => {
  it('refuses Host: evil.example (DNS rebinding) on the page and the API', async () => {
    for (const path of ['/_/', '/_/api/overview']) {
      const r = await rawGet(path, { host: 'evil.example' });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('HOST_NOT_ALLOWED');
    }
    expect((await rawGet('/_/', { host: `localhost:${new URL(serve.url).port}` })).status).toBe(200);
  });

  it('refuses a state-changing call without the per-run token, or with a foreign Origin', async () => {
    const none = await post(`/athletes/${DEMO_ATHLETE_ID}/token`, {}, {});
    expect(none.status).toBe(403);
    expect(((await none.json()) as any).error.code).toBe('ADMIN_TOKEN_REQUIRED');
    const wrong = await post('/cache/purge', { kind: 'activities' }, { [ADMIN_TOKEN_HEADER]: 'not-the-token' });
    expect(wrong.status).toBe(403);
    const foreign = await post(`/athletes/${DEMO_ATHLETE_ID}/token`, {}, { ...token(), origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as any).error.code).toBe('ORIGIN_NOT_ALLOWED');
    expect((await post(`/athletes/${DEMO_ATHLETE_ID}/token`, {}, { ...token(), origin: serve.url })).status).toBe(200);
  });

  it('embeds the per-run token in the page, never in a URL, and forbids framing', async () => {
    const r = await fetch(`${serve.url}/_/`);
    const html = await r.text();
    expect(html).toContain(`content="${serve.adminGuard.token}"`);
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(html).not.toMatch(/https?:\/\//);
  });
});

describe('inspector wiring', () => {
  it('prints the inspector URL in the banner and writes the per-run token to serve.json (0600)', () => {
    expect(bannerLines(serveSummary(serve), false).join('\n')).toContain(`inspector  ${serve.url}/_/`);
    const info = JSON.parse(readFileSync(serveInfoPath(serve.dataDir), 'utf8'));
    expect(info.adminToken).toBe(serve.adminGuard.token);
    expect(statSync(serveInfoPath(serve.dataDir)).mode & 0o777).toBe(0o600);
  });
});

describe('inspector API', () => {
  it('streams a new request and shows its detail with Authorization redacted as the log does', async () => {
    const events = await openEvents();
    try {
      const userToken = serve.tokenFor(DEMO_ATHLETE_ID);
      const called = await fetch(`${serve.url}/api/activities?limit=2`, { headers: bearer(userToken) });
      expect(called.status).toBe(200);
      const requestId = called.headers.get('x-nf-request-id')!;
      const seen = await until(() => events.requests.find((e) => e.requestId === requestId), 1000);
      expect(seen.function).toBe('api-activities');
      expect(events.requests.some((e) => e.path.startsWith('/_/'))).toBe(false);

      const detail = await getJson(`/requests/${requestId}`);
      expect(detail.captured).toBe(true);
      expect(detail.request.headers.authorization).toBe(REDACTED);
      expect(JSON.stringify(detail)).not.toContain(userToken);
      expect(detail.response.headers['x-cache']).toMatch(/HIT|MISS/);
      expect(JSON.parse(detail.response.body.text)).toBeTruthy();
      expect(detail.curl).toContain('authorization: Bearer $TOKEN');
      expect(detail.curl).toContain('/api/activities?limit=2');

      // A function's own failure lines for that request id come with it, redacted as the log redacts them.
      serve.log.error({ time: new Date().toISOString(), requestId, function: 'api-activities', status: 500, error: new Error(`upstream refused Bearer ${userToken}`) });
      const withLogs = await getJson(`/requests/${requestId}`);
      expect(withLogs.logs).toHaveLength(1);
      expect(withLogs.logs[0].message).toBe(`upstream refused Bearer ${REDACTED}`);
    } finally {
      events.close();
    }
  });

  it('keeps no bodies while no inspector watches', async () => {
    await new Promise((r) => setTimeout(r, 50));
    expect(serve.log.capturing).toBe(false);
    const called = await fetch(`${serve.url}/api/activities?limit=1`, { headers: bearer(serve.tokenFor(DEMO_ATHLETE_ID)) });
    const detail = await getJson(`/requests/${called.headers.get('x-nf-request-id')}`);
    expect(detail.captured).toBe(false);
  });

  it('mints a working token for an athlete', async () => {
    const r = await post(`/athletes/${DEMO_ATHLETE_ID}/token`);
    const { token: minted } = (await r.json()) as any;
    const called = await fetch(`${serve.url}/api/activities?limit=1`, { headers: bearer(minted) });
    expect(called.status).toBe(200);
  });

  it("purges an athlete's cache so the next request misses", async () => {
    const headers = bearer(serve.tokenFor(DEMO_ATHLETE_ID));
    await fetch(`${serve.url}/api/activities`, { headers });
    expect((await fetch(`${serve.url}/api/activities`, { headers })).headers.get('x-cache')).toBe('HIT');
    const listed = await getJson(`/cache?athlete=${DEMO_ATHLETE_ID}`);
    expect(listed.entries.some((e: any) => e.key === `activities:${DEMO_ATHLETE_ID}` && e.athleteId === DEMO_ATHLETE_ID)).toBe(true);
    const value = await getJson(`/cache/value?key=activities:${DEMO_ATHLETE_ID}`);
    expect(value.isJson).toBe(true);
    const purged = (await (await post('/cache/purge', { athleteId: DEMO_ATHLETE_ID })).json()) as any;
    expect(purged.purged).toBeGreaterThan(0);
    expect((await fetch(`${serve.url}/api/activities`, { headers })).headers.get('x-cache')).toBe('MISS');
  });

  it('lists functions with kind, routes, schedule and next run, and runs a scheduled one as a job', async () => {
    const { functions } = await getJson('/functions');
    const cleanup = functions.find((f: any) => f.name === 'cleanup');
    expect(cleanup).toMatchObject({ kind: 'scheduled', schedule: '@hourly', source: 'built-in', runnable: true });
    expect(cleanup.nextRun).toMatch(/^\d{4}-/);
    expect(functions.find((f: any) => f.name === 'api-activities').routes).toContain('/api/activities');
    const { job } = (await (await post('/functions/cleanup/run')).json()) as any;
    expect(job.function).toBe('cleanup');
    const done = await until(async () => {
      const { job: j } = await getJson(`/jobs/${job.id}`);
      return j.status === 'succeeded' ? j : undefined;
    });
    expect(done.finishedAt).toBeTruthy();
    expect((await getJson('/jobs')).jobs.some((j: any) => j.id === job.id && j.kind === 'scheduled')).toBe(true);
    expect((await post('/functions/api-activities/run')).status).toBe(400);
  });

  it('pages through a table read-only with an athlete filter, columns from the catalog', async () => {
    const { tables } = await getJson('/tables');
    const activities = tables.find((t: any) => t.name === 'activities');
    expect(activities.rows).toBeGreaterThan(100);
    const first = await getJson(`/tables/activities/rows?limit=10&athlete_id=${DEMO_ATHLETE_ID}`);
    const second = await getJson(`/tables/activities/rows?limit=10&offset=10&athlete_id=${DEMO_ATHLETE_ID}`);
    expect(first.rows).toHaveLength(10);
    expect(first.total).toBeGreaterThan(20);
    const idCol = first.columns.indexOf('id');
    expect(second.rows[0][idCol]).not.toBe(first.rows[0][idCol]);
    const athletes = await getJson('/tables/athletes/rows');
    const secretCol = athletes.columns.indexOf('strava_access_token');
    expect(athletes.rows.every((r: any[]) => r[secretCol] === null || r[secretCol] === REDACTED)).toBe(true);
    expect((await fetch(api('/tables/pg_authid/rows'))).status).toBe(404);
    expect((await fetch(api('/tables/activities;drop/rows'))).status).toBe(404);
  });

  it('runs the RLS matrix', async () => {
    const r = (await (await post('/rls/run')).json()) as any;
    expect(r.passed).toBe(true);
    expect(r.checks.find((c: any) => c.table === 'activities' && c.operation === 'SELECT')).toMatchObject({ verdict: 'pass', identity: expect.stringContaining('authenticated') });
    expect(r.checks.some((c: any) => c.identity === 'anon')).toBe(true);
  });

  it('resumes a failed backfill from its checkpoint as a background job', async () => {
    const { rows } = await serve.sql.query<{ id: string }>(
      `insert into public.backfill_jobs (athlete_id, status, since, until, checkpoint, error, finished_at)
       values ($1, 'failed', now() - interval '30 days', now(), '{"page": 1}', 'FUNCTION_TIMEOUT: stopped by the time limit', now())
       returning id::text as id`,
      [DEMO_ATHLETE_ID],
    );
    const id = rows[0]!.id;
    expect((await getJson('/jobs')).backfills.find((b: any) => b.id === id).status).toBe('failed');
    expect((await post(`/backfills/${id}/resume`, {}, {})).status).toBe(403);
    const { job } = (await (await post(`/backfills/${id}/resume`)).json()) as any;
    expect(job.function).toBe('backfill-background');
    const finished = await until(async () => {
      // The resumed run keeps the backfill's id: the emulator's job while it holds it, else the row.
      const { job: run, backfill } = await getJson(`/jobs/${id}`);
      const found = run ?? backfill;
      return found?.status === 'succeeded' ? found : undefined;
    }, 20_000);
    expect(finished.error).toBeNull();
    expect((await post(`/backfills/${id}/resume`)).status).toBe(409);
  }, 30_000);

  it('passes /_/api/ paths it does not know on to later mounts (the clock, snapshots)', async () => {
    const r = await fetch(api('/no-such-thing'));
    expect(r.status).toBe(404);
    expect(((await r.json()) as any).error.code).toBe('NOT_FOUND');
  });

  it('answers the overview with keys, the blobs context and counts', async () => {
    const o = await getJson('/overview');
    expect(o.keys.SUPABASE_SERVICE_ROLE_KEY).toBe(localKeys(TEST_SECRET).serviceRoleKey);
    expect(o.blobsContext).toMatch(/^NETLIFY_BLOBS_CONTEXT=/);
    expect(o.counts.athletes).toBeGreaterThanOrEqual(1);
    expect(o.urls.postgres).toContain(String(serve.pgPort));
  });
});

describe('inspector athletes (changes the demo data: last)', () => {
  it('seeds N more athletes, then resets the demo data only when confirmed', async () => {
    const before = (await getJson('/athletes')).athletes.length;
    const seeded = (await (await post('/athletes/seed', { count: 1 })).json()) as any;
    expect(seeded.seeded).toBe(1);
    const after = (await getJson('/athletes')).athletes;
    expect(after.length).toBe(before + 1);
    expect(after.find((a: any) => a.id === 1_000_001).activities).toBeGreaterThan(50);
    expect((await post('/athletes/seed', { count: 0 })).status).toBe(400);

    expect((await post('/athletes/reset', {})).status).toBe(400);
    const reset = (await (await post('/athletes/reset', { confirm: true })).json()) as any;
    expect(reset.deletedUsers).toBeGreaterThanOrEqual(2);
    const left = (await getJson('/athletes')).athletes;
    expect(left.map((a: any) => a.id)).toEqual([DEMO_ATHLETE_ID]);
    expect(left[0].activities).toBeGreaterThan(100);
    expect((await fetch(`${serve.url}/api/activities?limit=1`, { headers: bearer(serve.tokenFor(DEMO_ATHLETE_ID)) })).headers.get('x-cache')).toBe('MISS');
  }, 60_000);
});

describe('inspector availability', () => {
  it('is absent with --no-inspector', async () => {
    const off = await startTestServe({ inspector: false });
    try {
      expect((await fetch(`${off.url}/_/`)).status).toBe(404);
    } finally {
      await off.stop();
    }
  });

  it('refuses every call on a non-loopback --host without the service-role key', async () => {
    const open = await startTestServe({ host: '0.0.0.0' });
    try {
      const port = new URL(open.url).port;
      const page = await fetch(`http://127.0.0.1:${port}/_/`);
      expect(page.status).toBe(401);
      expect(await page.text()).not.toContain(open.adminGuard.token);
      expect((await fetch(`http://127.0.0.1:${port}/_/api/overview`)).status).toBe(401);
      const keyed = await fetch(`http://127.0.0.1:${port}/_/api/overview`, { headers: bearer(localKeys(TEST_SECRET).serviceRoleKey) });
      expect(keyed.status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});
