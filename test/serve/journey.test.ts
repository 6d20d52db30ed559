import { getStore } from '@netlify/blobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBlobsContext, LOCAL_SITE_ID } from '../../src/blobs/context.js';
import { activitiesKey, CACHE_STORE, streamsKey } from '../../src/cache/keys.js';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { bearer, startTestServe, waitForJob, type TestServe } from './helpers.js';
import { readJson } from '../helpers/json.js';

let serve: TestServe;
beforeAll(async () => {
  serve = await startTestServe();
}, 120_000);
afterAll(async () => serve?.stop());

/** The user journey of issue 6, in order, over HTTP against a running serve. */
describe('serve: the app developer journey', () => {
  const state: Record<string, any> = {};

  it('first run seeded the demo athlete with a year of activities', async () => {
    expect(serve.firstRun).toBe(false); // the template was migrated; the athlete was not there
    expect(serve.seeded?.generated.activities).toBeGreaterThan(150);
    const { rows } = await serve.sql.query<{ n: string }>('select count(*)::text as n from public.activities where athlete_id = $1', [DEMO_ATHLETE_ID]);
    expect(Number(rows[0]!.n)).toBe(serve.seeded!.generated.activities);
  });

  it('OAuth: consent page → pick the athlete → callback returns access and refresh tokens', async () => {
    const fake = serve.fakeStrava!;
    const callback = `${serve.url}/oauth/strava/callback`;
    const authorize = `${serve.url}/strava/oauth/authorize?client_id=${fake.clientId}&redirect_uri=${encodeURIComponent(callback)}&response_type=code&scope=read,activity:read_all&state=s1`;
    const page = await fetch(authorize);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`value="${DEMO_ATHLETE_ID}"`);
    const form = new URLSearchParams([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m): [string, string] => [m[1]!, m[2]!.replace(/&amp;/g, '&')]));
    form.set('athlete_id', String(DEMO_ATHLETE_ID));
    const approved = await fetch(`${serve.url}/strava/oauth/authorize`, { method: 'POST', body: form, redirect: 'manual' });
    expect(approved.status).toBe(302);
    const location = new URL(approved.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(callback);
    expect(location.searchParams.get('state')).toBe('s1');
    const exchanged = await fetch(`${callback}?code=${location.searchParams.get('code')}&redirect=0`);
    expect(exchanged.status).toBe(200);
    const tokens = await readJson(exchanged);
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 3600, athlete: { id: DEMO_ATHLETE_ID } });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    state.access = tokens.access_token;
    state.refresh = tokens.refresh_token;
  });

  it('activities: MISS then HIT, private cache, ETag and 304', async () => {
    const first = await fetch(`${serve.url}/api/activities?limit=5`, { headers: bearer(state.access) });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(first.headers.get('cache-control')).toMatch(/^private, max-age=\d+/);
    const body = await readJson(first);
    expect(body.activities).toHaveLength(5);
    state.activityId = body.activities[0].id;
    state.otherActivityId = body.activities[1].id;
    const second = await fetch(`${serve.url}/api/activities?limit=5`, { headers: bearer(state.access) });
    expect(second.headers.get('x-cache')).toBe('HIT');
    const etag = second.headers.get('etag')!;
    expect(etag).toBeTruthy();
    await second.arrayBuffer();
    const notModified = await fetch(`${serve.url}/api/activities?limit=5`, { headers: { ...bearer(state.access), 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    const forced = await fetch(`${serve.url}/api/activities?limit=5`, { headers: { ...bearer(state.access), 'cache-control': 'no-cache' } });
    expect(forced.headers.get('x-cache')).toBe('MISS');
    await forced.arrayBuffer();
  });

  it('streams: 1 Hz power, heart rate and position for the activity', async () => {
    const r = await fetch(`${serve.url}/api/streams/${state.activityId}`, { headers: bearer(state.access) });
    expect(r.status).toBe(200);
    const maxAge = Number(/^private, max-age=(\d+)$/.exec(r.headers.get('cache-control') ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(86_000);
    expect(maxAge).toBeLessThanOrEqual(86_400);
    const body = await readJson(r);
    const streams = body.streams ?? body;
    expect(streams.watts.data.length).toBe(streams.time.data.length);
    expect(streams.latlng.data[0]).toHaveLength(2);
  });

  it('AI brief: specific to the athlete\'s numbers, cached per day', async () => {
    const r = await fetch(`${serve.url}/api/ai-brief`, { headers: bearer(state.access) });
    expect(r.status).toBe(200);
    const body = await readJson(r);
    expect(body.brief).toMatch(/\d+ W|\d+ min|TSS/);
    const again = await fetch(`${serve.url}/api/ai-brief`, { headers: bearer(state.access) });
    expect((await readJson(again)).brief).toBe(body.brief);
  });

  it('refresh: rotation, then reuse of the old token is detected and revokes the session', async () => {
    const rotated = await fetch(`${serve.url}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: state.refresh }) });
    expect(rotated.status).toBe(200);
    const pair = await readJson(rotated);
    expect(pair.refresh_token).not.toBe(state.refresh);
    const reused = await fetch(`${serve.url}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: state.refresh }) });
    expect(reused.status).toBe(401);
    expect((await readJson(reused)).error.code).toBe('REFRESH_TOKEN_REUSED');
    const afterRevocation = await fetch(`${serve.url}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: pair.refresh_token }) });
    expect(afterRevocation.status).toBe(401);
  });

  it('webhook: an activity create upserts it and invalidates the athlete\'s cached list', async () => {
    const token = serve.tokenFor(DEMO_ATHLETE_ID);
    await (await fetch(`${serve.url}/api/activities?limit=5`, { headers: bearer(token) })).arrayBuffer();
    const cached = await fetch(`${serve.url}/api/activities?limit=5`, { headers: bearer(token) });
    expect(cached.headers.get('x-cache')).toBe('HIT');
    await cached.arrayBuffer();
    await serve.sql.query('delete from public.activities where id = $1', [state.activityId]);
    const event = { object_type: 'activity', object_id: state.activityId, aspect_type: 'create', owner_id: DEMO_ATHLETE_ID, subscription_id: 1, event_time: 1_790_000_000, updates: {} };
    const r = await fetch(`${serve.url}/webhooks/strava`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
    expect(r.status).toBe(200);
    const { rows } = await serve.sql.query('select 1 from public.activities where id = $1', [state.activityId]);
    expect(rows).toHaveLength(1);
    const after = await fetch(`${serve.url}/api/activities?limit=5`, { headers: bearer(token) });
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect((await readJson(after)).activities.map((a: { id: number }) => a.id)).toContain(state.activityId);
  });

  it('backfill: 202 at once, the job runs to completion with progress', async () => {
    const r = await fetch(`${serve.url}/.netlify/functions/backfill-background`, {
      method: 'POST',
      headers: { ...bearer(serve.tokenFor(0, 'service_role')), 'content-type': 'application/json' },
      body: JSON.stringify({ athlete_id: DEMO_ATHLETE_ID }),
    });
    expect(r.status).toBe(202);
    const jobId = r.headers.get('x-job-id')!;
    const job = await waitForJob(serve.url, jobId);
    expect(job.status).toBe('succeeded');
    expect(job.progress.pages_fetched).toBeGreaterThanOrEqual(1);
    expect(job.progress.activities_upserted).toBeGreaterThan(150);
  });

  it('scheduled cleanup, triggered over HTTP, deletes expired stream rows and blobs and keeps live ones', async () => {
    // Two old rides of the demo athlete: one with expired streams and cache entry, one with live ones.
    const { rows } = await serve.sql.query<{ id: string }>(
      'select id::text as id from public.activities where athlete_id = $1 order by start_date limit 2',
      [DEMO_ATHLETE_ID],
    );
    const [expired, live] = rows.map((r) => Number(r.id)) as [number, number];
    const hourMs = 3_600_000;
    for (const [id, offsetMs] of [[expired, -hourMs], [live, hourMs]] as const) {
      await serve.sql.query(
        `insert into public.activity_streams (activity_id, athlete_id, stream_type, data, expires_at) values ($1, $2, 'time', '[]'::jsonb, $3)`,
        [id, DEMO_ATHLETE_ID, new Date(Date.now() + offsetMs).toISOString()],
      );
      await serve.blobs.store(CACHE_STORE).set(streamsKey(DEMO_ATHLETE_ID, id), '{}', { expiresAt: Date.now() + offsetMs });
    }

    const r = await fetch(`${serve.url}/.netlify/functions/cleanup`, { method: 'POST', headers: bearer(serve.tokenFor(0, 'service_role')) });
    expect(r.status).toBe(200);
    const summary = await readJson(r);
    expect(summary.stream_rows_deleted).toBe(1);
    expect(summary.blobs_deleted).toBeGreaterThanOrEqual(1);

    const streams = await serve.sql.query<{ id: string }>(
      'select activity_id::text as id from public.activity_streams where activity_id = any($1::bigint[])',
      [[expired, live]],
    );
    expect(streams.rows.map((x) => Number(x.id))).toEqual([live]);
    const { blobs } = await serve.blobs.store(CACHE_STORE).list({ includeExpired: true });
    const keys = blobs.map((b) => b.key);
    expect(keys).not.toContain(streamsKey(DEMO_ATHLETE_ID, expired));
    expect(keys).toContain(streamsKey(DEMO_ATHLETE_ID, live));
    expect(keys).toContain(activitiesKey(DEMO_ATHLETE_ID));
  });

  it('the official @netlify/blobs client sees the entries the handlers wrote', async () => {
    const token = serve.tokenFor(DEMO_ATHLETE_ID);
    await (await fetch(`${serve.url}/api/streams/${state.otherActivityId}`, { headers: bearer(token) })).arrayBuffer();
    // Configured the way Netlify configures functions: NETLIFY_BLOBS_CONTEXT.
    process.env.NETLIFY_BLOBS_CONTEXT = encodeBlobsContext({ url: serve.url, siteID: LOCAL_SITE_ID, token: serve.blobsToken });
    const store = getStore(CACHE_STORE);
    const { blobs } = await store.list();
    delete process.env.NETLIFY_BLOBS_CONTEXT;
    const keys = blobs.map((b) => b.key);
    expect(keys).toContain(activitiesKey(DEMO_ATHLETE_ID));
    expect(keys).toContain(streamsKey(DEMO_ATHLETE_ID, state.otherActivityId));
    const entry = await store.get(activitiesKey(DEMO_ATHLETE_ID), { type: 'json' });
    expect(entry).toBeTruthy();
  });
});
