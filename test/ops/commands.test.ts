import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { runCli } from '../helpers/cli.js';
import { startTestServe, TEST_SECRET, type TestServe } from '../serve/helpers.js';
import { backfillRefused, dbCount, fakeStravaCount, setFakeStravaFaults } from './helpers.js';

const A1 = 1_000_001;
const A2 = 1_000_002;
let serve: TestServe;
let site: string[];

beforeAll(async () => {
  serve = await startTestServe({ seedAthletes: 2 });
  site = ['--url', serve.url, '--secret', TEST_SECRET];
}, 120_000);
afterAll(async () => serve?.stop());

describe('veloready backfill against a running serve', () => {
  it('backfills one athlete: afterwards the database holds exactly the fake Strava history', async () => {
    await serve.sql.query('delete from public.activities where athlete_id = $1', [A1]);
    expect(await dbCount(serve, A1)).toBe(0);
    const r = await runCli(['--json', 'backfill', '--athlete', String(A1), ...site]);
    expect(r.exitCode, r.stderr).toBe(0);
    const job = JSON.parse(r.stdout).jobs[0];
    expect(job.status).toBe('succeeded');
    const expected = await fakeStravaCount(serve, A1);
    expect(expected).toBeGreaterThan(150);
    expect(await dbCount(serve, A1)).toBe(expected);
    expect(job.progress.activities_upserted).toBe(expected);
    expect(job.progress.pages_fetched).toBe(Math.floor(expected / 200) + 1);
  });

  it('backfills several athletes at once, each to its own count', async () => {
    await serve.sql.query('delete from public.activities where athlete_id = any($1::bigint[])', [[A1, A2]]);
    const r = await runCli(['--json', 'backfill', '--athletes', `${A1},${A2}`, '--concurrency', '2', ...site]);
    expect(r.exitCode, r.stderr).toBe(0);
    const { jobs } = JSON.parse(r.stdout) as { jobs: Array<{ status: string; progress: { athlete_id: number } }> };
    expect(jobs.map((j) => j.progress.athlete_id).sort()).toEqual([A1, A2]);
    expect(jobs.every((j) => j.status === 'succeeded')).toBe(true);
    for (const id of [A1, A2]) expect(await dbCount(serve, id)).toBe(await fakeStravaCount(serve, id));
  });

  it('plain progress lines when not a TTY, then a summary table', async () => {
    const r = await runCli(['backfill', '--athlete', String(A2), ...site]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`target: ${serve.url}`);
    // A finished job reads 100% even without a date range; a running one shows its page.
    expect(r.stderr).toMatch(new RegExp(`athlete ${A2}: (100% · )?page \\d+ · \\d+ activities`));
    expect(r.stderr).toContain('1 succeeded, 0 failed');
    expect(r.stdout).toMatch(/athlete\s+job\s+status/);
  });

  it('with --since, progress is the share of the date range fetched (so the bar has an ETA)', async () => {
    const since = new Date(Date.now() - 200 * 86_400_000).toISOString().slice(0, 10);
    const r = await runCli(['--json', 'backfill', '--athlete', String(A2), '--since', since, ...site]);
    expect(r.exitCode, r.stderr).toBe(0);
    const plain = await runCli(['backfill', '--athlete', String(A2), '--since', since, ...site]);
    expect(plain.stderr).toMatch(new RegExp(`athlete ${A2}: 100% · page \\d+`));
    expect(JSON.parse(r.stdout).jobs[0].progress.checkpoint).toMatchObject({ done: true, oldest: expect.any(Number), newest: expect.any(Number) });
  });

  it('a second backfill for the same athlete reports the running one instead of starting another', async () => {
    // The first job waits on its first Strava page until serve has refused the second one.
    await setFakeStravaFaults(serve.url, { latencyMs: 60_000 });
    let secondRun: ReturnType<typeof runCli> | undefined;
    try {
      const first = await runCli(['--json', 'backfill', '--athlete', String(DEMO_ATHLETE_ID), '--no-wait', ...site]);
      expect(first.exitCode, first.stderr).toBe(0);
      const refused = backfillRefused(serve);
      secondRun = runCli(['--json', 'backfill', '--athlete', String(DEMO_ATHLETE_ID), ...site]);
      await Promise.race([refused, secondRun]);
    } finally {
      await setFakeStravaFaults(serve.url, null);
    }
    const second = await secondRun!;
    expect(second.exitCode, second.stderr).toBe(0);
    const record = JSON.parse(second.stdout).jobs[0];
    expect(record.conflict).toBe(true);
    expect(record.status).toBe('succeeded');
    const { rows } = await serve.sql.query<{ n: string }>('select count(*)::text as n from public.backfill_jobs where athlete_id = $1', [DEMO_ATHLETE_ID]);
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it('--json has one top-level shape for one athlete, several, and --no-wait: {target, jobs, skipped}', async () => {
    const shapes = await Promise.all([
      runCli(['--json', 'backfill', '--athlete', String(A1), ...site]),
      runCli(['--json', 'backfill', '--athletes', `${A2}`, '--no-wait', ...site]),
    ]);
    for (const r of shapes) {
      expect(r.exitCode, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(Object.keys(out).sort()).toEqual(['jobs', 'skipped', 'target']);
      expect(out.target).toBe(serve.url);
      expect(out.jobs[0]).toMatchObject({ athleteId: expect.any(Number), jobId: expect.any(String), status: expect.any(String) });
    }
    const [waited, noWait] = shapes.map((r) => JSON.parse(r.stdout).jobs[0]);
    expect(waited).toMatchObject({ athleteId: A1, status: 'succeeded' });
    expect(noWait).toMatchObject({ athleteId: A2, status: 'queued' });
    // Let the --no-wait job end before the next test backfills the same athlete.
    await runCli(['backfill', 'status', noWait.jobId, '--url', serve.url]);
  });

  it('--all-athletes skips athletes never connected to Strava, lists them, and exits 0 when the connected ones succeed', async () => {
    await serve.sql.query(
      `with u as (insert into auth.users (id, email) values (gen_random_uuid(), 'never-connected@example.org') returning id)
       insert into public.athletes (id, user_id, firstname) select 4242001, id, 'Never' from u`,
    );
    try {
      const r = await runCli(['--json', 'backfill', '--all-athletes', '--concurrency', '3', ...site], { env: { VELOREADY_DATA_DIR: serve.dataDir } });
      expect(r.exitCode, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.skipped).toEqual([{ athleteId: 4242001, reason: 'NOT_CONNECTED' }]);
      expect(out.jobs.map((j: { athleteId: number }) => j.athleteId).sort()).toEqual([A1, A2, DEMO_ATHLETE_ID].sort());
      expect(out.jobs.every((j: { status: string }) => j.status === 'succeeded')).toBe(true);
      expect(r.stderr).toContain('skipped 1 athlete never connected to Strava: 4242001');
    } finally {
      await serve.sql.query(`delete from auth.users where email = 'never-connected@example.org'`);
    }
  });

  it('--no-wait prints the job id at once, and `backfill status` follows it to the end', async () => {
    const started = await runCli(['--json', 'backfill', '--athlete', String(A1), '--no-wait', ...site]);
    const { jobs } = JSON.parse(started.stdout) as { jobs: Array<{ jobId: string }> };
    const followed = await runCli(['--json', 'backfill', 'status', jobs[0]!.jobId, ...site]);
    expect(followed.exitCode, followed.stderr).toBe(0);
    expect(JSON.parse(followed.stdout).status).toBe('succeeded');
  });

  it('--dry-run prints the request and sends nothing', async () => {
    const before = await serve.sql.query('select count(*) from public.backfill_jobs');
    const r = await runCli(['backfill', '--athlete', '7', '--dry-run', '--url', serve.url]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`would POST ${serve.url}/.netlify/functions/backfill-background {"athlete_id":7}`);
    expect((await serve.sql.query('select count(*) from public.backfill_jobs')).rows).toEqual(before.rows);
  });

  it('a wrong JWT secret gives one line naming the variable to set', async () => {
    const r = await runCli(['backfill', '--athlete', String(A1), '--url', serve.url, '--secret', 'not-the-site-secret-not-the-site-secret!']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('rejected the operator token');
    expect(r.stderr).toContain('SUPABASE_JWT_SECRET');
  });

  it('a remote site without a JWT secret says which variable to set', async () => {
    const r = await runCli(['backfill', '--athlete', '1', '--url', 'https://veloready.example.com']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('no JWT secret to sign tokens for https://veloready.example.com');
    expect(r.stderr).toContain('SUPABASE_JWT_SECRET');
  });

  it('a --url that is not an http(s) URL is bad usage, before any secret is looked for', async () => {
    for (const url of ['not a url', 'ftp://veloready.example.com']) {
      const r = await runCli(['backfill', '--athlete', '1', '--url', url, '--json']);
      expect(r.exitCode, url).toBe(2);
      expect(JSON.parse(r.stdout).error.code).toBe('INVALID_URL');
    }
  });

  it('no athletes named is bad usage', async () => {
    const r = await runCli(['backfill', ...site]);
    expect(r.exitCode).toBe(2);
  });
});

describe('veloready trigger', () => {
  it('runs cleanup and reports its result', async () => {
    const r = await runCli(['--json', 'trigger', 'cleanup', ...site]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ function: 'cleanup', status: 200, body: { stream_rows_deleted: expect.any(Number) } });
  });

  it('without --url it runs on the running serve of the data dir (serve.json), and says so', async () => {
    const r = await runCli(['--json', '--data-dir', serve.dataDir, 'trigger', 'cleanup', '--secret', TEST_SECRET]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`target: ${serve.url} (the running serve of ${serve.dataDir})`);
    expect(JSON.parse(r.stdout)).toMatchObject({ function: 'cleanup', status: 200, body: { stream_rows_deleted: expect.any(Number) } });
  });

  it('runs nightly-reconcile', async () => {
    const r = await runCli(['--json', 'trigger', 'nightly-reconcile', ...site]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe(200);
  });

  it('--list shows schedules and the next run', async () => {
    const r = await runCli(['--json', 'trigger', '--list']);
    const fns = JSON.parse(r.stdout).functions as Array<{ name: string; schedule: string | null; nextRun: string | null }>;
    expect(fns.find((f) => f.name === 'cleanup')).toMatchObject({ schedule: '@hourly', nextRun: expect.stringMatching(/:00:00\.000Z$/) });
    expect(fns.find((f) => f.name === 'nightly-reconcile')?.nextRun).toMatch(/T03:00:00\.000Z$/);
  });

  it('an unknown function is bad usage', async () => {
    const r = await runCli(['trigger', 'drop-everything', ...site]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('no function named "drop-everything"');
  });
});

describe('veloready cache warm', () => {
  it('fills the keys that cache ls then shows, and reports HIT/MISS', async () => {
    const r = await runCli(['--json', 'cache', 'warm', '--athletes', `${A2}`, ...site]);
    expect(r.exitCode, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.errors).toBe(0);
    expect(summary.byKind.streams.requests).toBe(5);
    const ls = await runCli(['--json', '--data-dir', serve.dataDir, 'cache', 'ls', '--athlete', String(A2)]);
    expect(ls.exitCode, ls.stderr).toBe(0);
    const keys = (JSON.parse(ls.stdout).keys as Array<{ key: string }>).map((e) => e.key);
    expect(keys).toContain(`activities:${A2}`);
    expect(keys.filter((k) => k.startsWith(`streams:${A2}:`))).toHaveLength(5);
    expect(keys.some((k) => /:\d{4}-\d{2}-\d{2}:/.test(k))).toBe(true);
    const again = JSON.parse((await runCli(['--json', 'cache', 'warm', '--athletes', `${A2}`, ...site])).stdout);
    expect(again.hit).toBe(again.requests);
  });
});
