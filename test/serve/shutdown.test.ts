import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { openPglite } from '../../src/db/pglite.js';
import { defaultNetlifyTomlPath } from '../../src/emulator/redirects.js';
import type { ScheduledRun } from '../../src/emulator/scheduler.js';
import { FORCED_EXIT_CODE, untilShutdown } from '../../src/serve/run.js';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { removeTree } from '../helpers/fs-tree.js';
import { bearer, startTestServe } from './helpers.js';

function fakeProcess() {
  const proc = Object.assign(new EventEmitter(), { exits: [] as number[], exit: (code?: number) => void proc.exits.push(code ?? 0) });
  return proc;
}

describe('serve shutdown on signals', () => {
  it('the first signal stops gracefully; a second one during the stop exits at once', async () => {
    const proc = fakeProcess();
    let release!: () => void;
    let stops = 0;
    const forced: string[] = [];
    const done = untilShutdown({
      stop: () => {
        stops++;
        return new Promise<void>((r) => (release = r));
      },
      onForce: (s) => forced.push(s),
      process: proc,
    });
    proc.emit('SIGTERM', 'SIGTERM');
    expect(stops).toBe(1);
    expect(proc.exits).toEqual([]);
    proc.emit('SIGINT', 'SIGINT');
    expect(forced).toEqual(['SIGINT']);
    expect(proc.exits).toEqual([FORCED_EXIT_CODE]);
    expect(stops).toBe(1);
    release();
    await done;
    expect(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM')).toBe(0);
  });

  it('a failed graceful stop is reported and still ends the wait (no unhandled rejection)', async () => {
    const proc = fakeProcess();
    const errors: unknown[] = [];
    const done = untilShutdown({ stop: async () => Promise.reject(new Error('disk gone')), onError: (e) => errors.push(e), process: proc });
    proc.emit('SIGINT', 'SIGINT');
    await done;
    expect((errors[0] as Error).message).toBe('disk gone');
    expect(proc.exits).toEqual([]);
  });
});

describe('serve with its scheduler running', () => {
  it('runs a scheduled function on its cron; an unexpected handler failure reaches the log with its request id', async () => {
    // The project's netlify.toml runs cleanup every 15 minutes (the default is @hourly). At 10:14:59.5
    // UTC it is due in half a second; nightly-reconcile (03:00) is not.
    const cwd = mkdtempSync(join(tmpdir(), 'vr-serve-cron-'));
    writeFileSync(join(cwd, 'netlify.toml'), readFileSync(defaultNetlifyTomlPath(), 'utf8').replace('"@hourly"', '"*/15 * * * *"'));
    const clock = new ManualClock(Date.parse('2026-03-01T10:14:59.500Z'));
    const serve = await startTestServe({ clock, schedule: true, cwd });
    try {
      expect(serve.scheduler.nextRuns().find((r) => r.function === 'cleanup')!.nextRun).toBe('2026-03-01T10:15:00.000Z');
      const runs: ScheduledRun[] = [];
      serve.scheduler.subscribe((r) => runs.push(r));
      clock.set(Date.parse('2026-03-01T10:15:00.100Z'));
      const deadline = Date.now() + 35_000;
      while (runs.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(runs).toMatchObject([{ function: 'cleanup', dueAt: '2026-03-01T10:15:00.000Z', status: 200 }]);
      expect(serve.scheduler.nextRuns().find((r) => r.function === 'cleanup')!.nextRun).toBe('2026-03-01T10:30:00.000Z');

      // A 500 INTERNAL says "see the server log": the log must then hold it, under the request id the client got.
      await serve.sql.query('alter table public.activities rename to activities_gone');
      const res = await fetch(`${serve.url}/api/activities`, { headers: { ...bearer(serve.demo.token), 'cache-control': 'no-cache' } });
      expect(res.status).toBe(500);
      const requestId = res.headers.get('x-nf-request-id');
      await res.arrayBuffer();
      const logged = serve.log.recent().find((e) => e.type === 'error' && e.requestId === requestId);
      expect(logged).toMatchObject({ type: 'error', function: 'api-activities', status: 500 });
      expect(JSON.stringify(logged)).not.toContain(serve.demo.token);
    } finally {
      await serve.stop();
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('serve close with a resumed backfill', () => {
  it('a backfill left by a killed process resumes at start; close stops it at a checkpoint, never marking it failed', async () => {
    const first = await startTestServe();
    const dataDir = first.dataDir;
    const { rows } = await first.sql.query<{ id: string }>(
      `insert into public.backfill_jobs (athlete_id, status, checkpoint, created_at, updated_at)
       values ($1, 'running', '{"page": 1}'::jsonb, now(), now()) returning id::text as id`,
      [DEMO_ATHLETE_ID],
    );
    const jobId = rows[0]!.id;
    await first.close();

    const again = await startTestServe({ dataDir });
    try {
      expect(again.resumedBackfills).toEqual([jobId]);
    } finally {
      await again.close(); // at once: the resumed run is mid-flight
    }
    // The row as close left it (a serve started again would resume the job before we looked).
    const reopened = await openPglite({ dataDir });
    try {
      const { rows: after } = await reopened.query<{ status: string; error: string | null }>(
        'select status, error from public.backfill_jobs where id = $1',
        [jobId],
      );
      expect(after[0]!.error).toBeNull();
      expect(['running', 'succeeded']).toContain(after[0]!.status);
    } finally {
      await reopened.close();
      await removeTree(dataDir);
    }
  }, 120_000);
});
