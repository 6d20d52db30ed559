import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activitiesKey, CACHE_STORE } from '../../src/cache/keys.js';
import type { Handler } from '../../src/emulator/types.js';
import { createBackfillBackgroundHandler, resumeInterruptedBackfills, runBackfillJob } from '../../src/functions/backfill-background.js';
import { createBackfillJob } from '../../src/functions/lib/backfill-job.js';
import type { StravaActivitySummary } from '../../src/strava/port.js';
import { bodyOf, connectAthlete, context, event, expectClientError, harness, tokenFor, type Harness } from './helpers.js';

/** Everything the fake Strava has for the athlete, listed through the real client. */
async function stravaIds(h: Harness, athleteId: number): Promise<number[]> {
  const t = h.strava.fake.issueTokens(athleteId, { scope: 'read,activity:read_all' });
  const creds = { accessToken: t.access_token, refreshToken: t.refresh_token, expiresAt: t.expires_at };
  const out: StravaActivitySummary[] = [];
  for (let page = 1; ; page++) {
    const batch = await h.deps.strava.listActivities(creds, { page, perPage: 200, before: Math.floor(h.clock.now() / 1000) });
    out.push(...batch);
    if (batch.length < 200) break;
  }
  return out.map((a) => a.id).sort((x, y) => x - y);
}

async function storedIds(h: Harness, athleteId: number): Promise<number[]> {
  const { rows } = await h.sql.query<{ id: string }>('select id::text as id from public.activities where athlete_id = $1 order by id', [athleteId]);
  return rows.map((r) => Number(r.id));
}

describe('backfill-background', () => {
  let h: Harness;
  let fn: Handler;
  let [a, b, c] = [0, 0, 0];
  const start = (token: string, body: unknown, signal?: AbortSignal) => {
    const ctx = context('backfill-background', {}, signal);
    return {
      ctx,
      res: fn(
        event('/.netlify/functions/backfill-background', { method: 'POST', token, body: typeof body === 'string' ? body : JSON.stringify(body) }),
        ctx,
      ),
    };
  };

  beforeAll(async () => {
    // A year of activities: more than one page of 200.
    h = await harness({ days: 365 });
    [a, b, c] = h.athleteIds as [number, number, number];
    for (const id of [a, b, c]) await connectAthlete(h, id);
    fn = createBackfillBackgroundHandler(h.deps);
  });
  afterAll(() => h.close());

  it('an operator backfills an athlete to completion: counts match the fake Strava data, caches warmed', async () => {
    const expected = await stravaIds(h, a);
    expect(expected.length).toBeGreaterThan(200);
    const { res, ctx } = start(tokenFor(h, a, { role: 'service_role' }), { athlete_id: a });
    const done = await res;
    expect(done.statusCode).toBe(200);
    const job = bodyOf(done).job;
    expect(job.status).toBe('succeeded');
    expect(job.pages_fetched).toBe(Math.floor(expected.length / 200) + 1);
    expect(job.activities_upserted).toBe(expected.length);
    expect(await storedIds(h, a)).toEqual(expected);
    expect(ctx.progress[0]).toMatchObject({ backfill_job_id: job.id, athlete_id: a });
    expect(ctx.progress.at(-1)).toMatchObject({ status: 'succeeded', activities_upserted: expected.length });
    const warmed = await h.blobs.store(CACHE_STORE).getJSON<{ value: unknown[] }>(activitiesKey(a));
    expect(warmed?.value).toHaveLength(expected.length);
  });

  it('the athlete may backfill themself with since/until, but not someone else', async () => {
    const until = Math.floor(h.clock.now() / 1000);
    const since = until - 30 * 86_400;
    const { res } = start(tokenFor(h, b), { since: new Date(since * 1000).toISOString(), until });
    const job = bodyOf(await res).job;
    expect(job.status).toBe('succeeded');
    const ids = await storedIds(h, b);
    expect(ids.length).toBe(job.activities_upserted);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThan(200);
    expect(expectClientError(await start(tokenFor(h, b), { athlete_id: a }).res, 403)).toBe('FORBIDDEN');
  });

  it('a second request while a job is live gets 409 with the running job', async () => {
    const live = await createBackfillJob(h.deps, { athleteId: c });
    const { res, ctx } = start(tokenFor(h, c, { role: 'service_role' }), { athlete_id: c });
    const r = await res;
    expect(expectClientError(r, 409)).toBe('BACKFILL_ALREADY_RUNNING');
    expect(bodyOf(r).job.id).toBe(live.id);
    expect(ctx.progress[0]).toMatchObject({ backfill_job_id: live.id, conflict: true });
    await runBackfillJob(h.deps, live.id);
  });

  it('a job interrupted after a page resumes from its checkpoint: no duplicate, nothing missing', async () => {
    await h.sql.query('delete from public.activities where athlete_id = $1', [c]);
    const expected = await stravaIds(h, c);
    const job = await createBackfillJob(h.deps, { athleteId: c });
    const stop = new AbortController();
    const interrupted = await runBackfillJob(h.deps, job.id, {
      signal: stop.signal,
      onProgress: (j) => {
        if (j.pages_fetched === 1) stop.abort();
      },
    });
    expect(interrupted.status).toBe('running');
    expect(interrupted.pages_fetched).toBe(1);
    expect(interrupted.checkpoint.page).toBe(2);
    expect((await storedIds(h, c)).length).toBe(200);

    const requestsBefore = h.strava.fake.usage().overall[0];
    const { jobIds, finished } = await resumeInterruptedBackfills(h.deps);
    expect(jobIds).toEqual([job.id]);
    const [resumed] = await finished;
    expect(resumed!.status).toBe('succeeded');
    expect(resumed!.activities_upserted).toBe(expected.length);
    expect(resumed!.pages_fetched).toBe(Math.floor(expected.length / 200) + 1);
    expect(await storedIds(h, c)).toEqual(expected);
    // Only the pages after the checkpoint were fetched again.
    expect(h.strava.fake.usage().overall[0] - requestsBefore).toBe(resumed!.pages_fetched - 1);
  });

  it('rate-limit waits are recorded with the reset time', async () => {
    h.strava.fake.setFaults({ forced: [{ route: 'GET /api/v3/athlete/activities', status: 429, times: 1 }] });
    const until = Math.floor(h.clock.now() / 1000);
    const { res } = start(tokenFor(h, a, { role: 'service_role' }), { athlete_id: a, since: until - 7 * 86_400 });
    const job = bodyOf(await res).job;
    h.strava.fake.setFaults({});
    expect(job.status).toBe('succeeded');
    expect(job.rate_limit_waits).toBeGreaterThanOrEqual(1);
    expect(job.rate_limited_until).not.toBeNull();
  });

  it('a shutdown (aborted signal) leaves the job at its checkpoint with 503 BACKFILL_INTERRUPTED; a restart resumes it', async () => {
    const stop = new AbortController();
    stop.abort();
    const { res } = start(tokenFor(h, b, { role: 'service_role' }), { athlete_id: b }, stop.signal);
    const r = await res;
    expect(r.statusCode).toBe(503);
    expect(bodyOf(r).error.code).toBe('BACKFILL_INTERRUPTED');
    expect(bodyOf(r).job.status).toBe('running');
    const { jobIds, finished } = await resumeInterruptedBackfills(h.deps);
    expect(jobIds).toEqual([bodyOf(r).job.id]);
    expect((await finished)[0]!.status).toBe('succeeded');
  });

  it('{job_id} runs a job created beforehand; another athlete cannot name it', async () => {
    await h.sql.query('delete from public.activities where athlete_id = $1', [b]);
    const job = await createBackfillJob(h.deps, { athleteId: b, since: Math.floor(h.clock.now() / 1000) - 14 * 86_400 });
    expect(expectClientError(await start(tokenFor(h, a), { job_id: job.id }).res, 404)).toBe('JOB_NOT_FOUND');
    expect(expectClientError(await start(tokenFor(h, b), { job_id: 'nope' }).res, 400)).toBe('INVALID_JOB_ID');
    const done = bodyOf(await start(tokenFor(h, b), { job_id: job.id }).res).job;
    expect(done).toMatchObject({ id: job.id, status: 'succeeded' });
    expect((await storedIds(h, b)).length).toBe(done.activities_upserted);
  });

  it('bad requests are 4xx JSON', async () => {
    const op = tokenFor(h, a, { role: 'service_role' });
    expect(expectClientError(await start(op, {}).res, 400)).toBe('ATHLETE_REQUIRED');
    expect(expectClientError(await start(op, { athlete_id: 'abc' }).res, 400)).toBe('INVALID_ID');
    expect(expectClientError(await start(op, { athlete_id: 55 }).res, 404)).toBe('ATHLETE_NOT_FOUND');
    expect(expectClientError(await start(op, { athlete_id: a, since: 'last year' }).res, 400)).toBe('INVALID_TIME');
    expect(expectClientError(await start(op, { athlete_id: a, since: 2000, until: 1000 }).res, 400)).toBe('INVALID_RANGE');
    expect(expectClientError(await start(op, '{oops').res, 400)).toBe('INVALID_JSON');
    expect(expectClientError(await start('', { athlete_id: a }).res, 401)).toBe('AUTH_REQUIRED');
    const get = await fn(event('/.netlify/functions/backfill-background', { token: op }), context('x'));
    expect(expectClientError(get, 405)).toBe('METHOD_NOT_ALLOWED');
  });
});
