import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { runCli } from '../helpers/cli.js';
import { migratedDataDir } from '../helpers/db.js';
import { bearer, startTestServe, waitForJob, type TestServe } from '../serve/helpers.js';
import { setFakeStravaFaults } from './helpers.js';

const JOB_RECORD_KEYS = ['createdAt', 'error', 'finishedAt', 'function', 'id', 'progress', 'startedAt', 'status'];

const dirs: string[] = [];
const serves: TestServe[] = [];
afterAll(async () => {
  for (const s of serves) await s.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const startBackfill = (s: TestServe, body: Record<string, unknown>) =>
  fetch(`${s.url}/.netlify/functions/backfill-background`, {
    method: 'POST',
    headers: { ...bearer(s.tokenFor(0, 'service_role')), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('a backfill keeps one job id for life', () => {
  it('the id from the 202 answers after a restart (same record shape), and a resume by that id keeps it', async () => {
    const dataDir = await migratedDataDir();
    dirs.push(dataDir);
    const first = await startTestServe({ dataDir });
    serves.push(first);
    await first.sql.query('delete from public.activities where athlete_id = $1', [DEMO_ATHLETE_ID]);
    await setFakeStravaFaults(first.url, { latencyMs: 400 });
    const res = await startBackfill(first, { athlete_id: DEMO_ATHLETE_ID });
    expect(res.status).toBe(202);
    const { jobId, url } = (await res.json()) as { jobId: string; url: string };
    expect(url).toBe(`/api/jobs/${jobId}`);

    let before: Record<string, any> = {};
    for (let i = 0; (before.progress?.pages_fetched ?? 0) < 1; i++) {
      if (i > 400) throw new Error('backfill made no progress');
      await new Promise((r) => setTimeout(r, 25));
      before = (await (await fetch(`${first.url}/api/jobs/${jobId}`)).json()) as Record<string, any>;
    }
    expect(Object.keys(before).sort()).toEqual(JOB_RECORD_KEYS);
    // The database row is the same job, under the same id.
    expect(before.progress.backfill_job_id).toBe(jobId);
    await first.close();

    const second = await startTestServe({ dataDir });
    serves.push(second);
    const after = await waitForJob(second.url, jobId, 60_000);
    expect(after).toMatchObject({ id: jobId, function: 'backfill-background', status: 'succeeded', error: null });
    expect(Object.keys(after).sort()).toEqual(JOB_RECORD_KEYS);
    expect(after.progress).toMatchObject({ backfill_job_id: jobId, athlete_id: DEMO_ATHLETE_ID });
    expect(after.progress.pages_fetched).toBeGreaterThan(before.progress.pages_fetched);

    // What `backfill --no-wait` told the operator to run still works.
    const status = await runCli(['--json', 'backfill', 'status', jobId, '--url', second.url]);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ id: jobId, status: 'succeeded' });

    // Resuming a job by id runs it as the same job.
    const resumed = await startBackfill(second, { job_id: jobId });
    expect(resumed.status).toBe(202);
    expect(((await resumed.json()) as { jobId: string }).jobId).toBe(jobId);
    expect(await waitForJob(second.url, jobId)).toMatchObject({ id: jobId, status: 'succeeded' });
  }, 120_000);

  it('a failed job found only in the database has the same shape: error {code, message}', async () => {
    const s = await startTestServe();
    serves.push(s);
    const { rows } = await s.sql.query<{ id: string }>(
      `insert into public.backfill_jobs (athlete_id, status, error, finished_at) values ($1, 'failed', 'FUNCTION_TIMEOUT: stopped by the background time limit at page 3', now()) returning id::text as id`,
      [DEMO_ATHLETE_ID],
    );
    const job = (await (await fetch(`${s.url}/api/jobs/${rows[0]!.id}`)).json()) as Record<string, any>;
    expect(Object.keys(job).sort()).toEqual(JOB_RECORD_KEYS);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'FUNCTION_TIMEOUT', message: 'stopped by the background time limit at page 3' } });
  });
});
