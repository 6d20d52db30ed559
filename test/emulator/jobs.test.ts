import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionDef } from '../../src/emulator/functions.js';
import type { JobRecord } from '../../src/emulator/jobs.js';
import { createBackfillBackgroundHandler } from '../../src/functions/backfill-background.js';
import type { Strava } from '../../src/strava/port.js';
import { connectAthlete, harness, tokenFor, type Harness } from '../functions/helpers.js';
import { eventually, json, startEmulator, type Started } from './helpers.js';

/** A background limit tiny enough for a test, as `limits.backgroundTimeoutMs` configures it. */
const LIMIT_MS = 300;

/** Starts the background function; resolves with its 202 status and job id. */
async function post(s: Started, body: unknown, token?: string): Promise<{ status: number; jobId: string }> {
  const res = await fetch(`${s.url}/.netlify/functions/backfill-background`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, jobId: ((await res.json()) as { jobId: string }).jobId };
}

async function finishedJob(s: Started, jobId: string): Promise<JobRecord> {
  return eventually(async () => {
    const job = (await (await fetch(`${s.url}/api/jobs/${jobId}`)).json()) as JobRecord;
    return job.finishedAt ? job : undefined;
  }, 10_000);
}

describe('the background time limit', () => {
  it('at the limit the job is FUNCTION_TIMEOUT and the handler\'s signal fires, so its loop stops writing', async () => {
    let writes = 0;
    let sawReason: unknown;
    const looping: FunctionDef = {
      name: 'backfill-background',
      kind: 'background',
      handler: async (_e, ctx) => {
        while (!ctx.signal?.aborted) {
          writes += 1;
          await new Promise((r) => setTimeout(r, 5));
        }
        sawReason = ctx.signal.reason;
        return json(200, { stopped: true });
      },
    };
    const s = await startEmulator([looping], { limits: { backgroundTimeoutMs: 50 } });
    try {
      const { jobId } = await post(s, {});
      const job = await finishedJob(s, jobId);
      expect(job).toMatchObject({ status: 'failed', error: { code: 'FUNCTION_TIMEOUT', message: expect.stringContaining('50 ms') } });
      await eventually(() => (s.emulator.jobs.active() === 0 ? true : undefined));
      const atStop = writes;
      await new Promise((r) => setTimeout(r, 50));
      expect(writes).toBe(atStop);
      expect((sawReason as Error).name).toBe('TimeoutError');
      // What the handler answered after its deadline does not rewrite the record.
      expect(s.emulator.jobs.get(jobId)).toMatchObject({ status: 'failed', error: { code: 'FUNCTION_TIMEOUT' } });
    } finally {
      await s.close();
    }
  });
});

describe('backfill-background as a background job', () => {
  let h: Harness;
  let athlete = 0;
  beforeAll(async () => {
    h = await harness({ days: 365 }); // more than one page of 200
    athlete = h.athleteIds[0]!;
    await connectAthlete(h, athlete);
  });
  afterAll(() => h?.close());

  const start = (strava: Strava, limitMs = LIMIT_MS) =>
    startEmulator(
      [{ name: 'backfill-background', kind: 'background', handler: createBackfillBackgroundHandler({ ...h.deps, strava }) }],
      { limits: { backgroundTimeoutMs: limitMs } },
    );
  const stored = async (): Promise<number> => {
    const { rows } = await h.sql.query<{ n: string }>('select count(*)::text as n from public.activities where athlete_id = $1', [athlete]);
    return Number(rows[0]!.n);
  };

  it('a backfill past the limit stops: no page that arrives after the deadline is written', async () => {
    await h.sql.query('delete from public.activities where athlete_id = $1', [athlete]);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let s!: Started;
    /** For each page Strava returned: whether the job was still within its limit at that moment. */
    const returned: Array<'in time' | 'late'> = [];
    // The real Strava client against the fake Strava; page 2 is held until the deadline has passed.
    const strava: Strava = Object.create(h.deps.strava, {
      listActivities: {
        value: async (...args: Parameters<Strava['listActivities']>) => {
          if (args[1].page === 2) await gate;
          const page = await h.deps.strava.listActivities(...args);
          returned.push(s.emulator.jobs.list()[0]?.finishedAt ? 'late' : 'in time');
          return page;
        },
      },
    });
    s = await start(strava);
    try {
      const { status, jobId } = await post(s, { athlete_id: athlete }, tokenFor(h, athlete, { role: 'service_role' }));
      expect(status).toBe(202);
      const job = await finishedJob(s, jobId);
      expect(job).toMatchObject({ status: 'failed', error: { code: 'FUNCTION_TIMEOUT' } });
      release();
      await eventually(() => (s.emulator.jobs.active() === 0 ? true : undefined), 10_000);

      const { rows } = await h.sql.query<{ id: string; status: string; pages_fetched: number; error: string }>(
        'select id::text as id, status, pages_fetched, error from public.backfill_jobs where athlete_id = $1 order by created_at desc limit 1',
        [athlete],
      );
      // Stopped at its checkpoint and marked failed, so it blocks no new backfill, with how to resume it.
      expect(rows[0]!.status).toBe('failed');
      expect(rows[0]!.error).toContain(`{"job_id": "${rows[0]!.id}"}`);
      const inTime = returned.filter((r) => r === 'in time').length;
      expect(returned.length).toBeLessThanOrEqual(2); // never a page 3
      expect(rows[0]!.pages_fetched).toBe(inTime);
      expect(await stored()).toBe(inTime * 200);
      await new Promise((r) => setTimeout(r, 50));
      expect(await stored()).toBe(inTime * 200);

      // Resumed by id with time to spare: it goes on from its checkpoint and finishes.
      const pagesAsked: number[] = [];
      const counting: Strava = Object.create(h.deps.strava, {
        listActivities: {
          value: async (...args: Parameters<Strava['listActivities']>) => {
            pagesAsked.push(args[1].page ?? 1);
            return h.deps.strava.listActivities(...args);
          },
        },
      });
      const again = await start(counting, 10_000);
      try {
        const resumed = await post(again, { job_id: rows[0]!.id }, tokenFor(h, athlete, { role: 'service_role' }));
        expect(resumed.status).toBe(202);
        expect(await finishedJob(again, resumed.jobId)).toMatchObject({ status: 'succeeded' });
        expect(pagesAsked[0]).toBe(inTime + 1);
        const done = await h.sql.query<{ status: string }>('select status from public.backfill_jobs where id = $1', [rows[0]!.id]);
        expect(done.rows[0]!.status).toBe('succeeded');
      } finally {
        await again.close();
      }
    } finally {
      release();
      await s.close();
      await h.sql.query(`update public.backfill_jobs set status = 'failed' where athlete_id = $1 and status = 'running'`, [athlete]);
    }
  });

  it('a failed backfill job carries the function\'s own error code and message', async () => {
    const s = await start(h.deps.strava, 10_000);
    try {
      const token = tokenFor(h, athlete, { role: 'service_role' });
      const bad = await post(s, { athlete_id: athlete, since: '2026-06-01', until: '2026-05-01' }, token);
      expect(await finishedJob(s, bad.jobId)).toMatchObject({
        status: 'failed',
        error: { code: 'INVALID_RANGE', message: 'since must be earlier than until' },
      });
      const unknown = await post(s, { athlete_id: 999_999_999 }, token);
      expect((await finishedJob(s, unknown.jobId)).error).toEqual({ code: 'ATHLETE_NOT_FOUND', message: 'No athlete 999999999' });
    } finally {
      await s.close();
    }
  });
});
