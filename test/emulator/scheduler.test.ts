import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createFunctionRegistry, type FunctionDef } from '../../src/emulator/functions.js';
import { createInvoker } from '../../src/emulator/invoke.js';
import { createJobRunner } from '../../src/emulator/jobs.js';
import { resolveLimits } from '../../src/emulator/limits.js';
import { createScheduler } from '../../src/emulator/scheduler.js';
import type { NetlifyEvent } from '../../src/emulator/types.js';
import { eventually, startEmulator } from './helpers.js';

const T0 = Date.parse('2026-03-01T02:30:00Z');

function setup(clock: ManualClock, pollMs?: number) {
  const calls: Array<{ name: string; event: NetlifyEvent; at: number }> = [];
  const def = (name: string, schedule: string): FunctionDef => ({
    name,
    kind: 'scheduled',
    schedule,
    handler: async (event) => {
      calls.push({ name, event, at: clock.now() });
      return { statusCode: 200 };
    },
  });
  const functions = createFunctionRegistry([def('nightly-reconcile', '0 3 * * *'), def('cleanup', '@hourly'), { name: 'api-activities', kind: 'sync', handler: async () => ({ statusCode: 200 }) }]);
  const invoker = createInvoker({ functions, clock, limits: resolveLimits(), jobs: createJobRunner({ clock }) });
  return { calls, scheduler: createScheduler({ functions, invoker, clock, ...(pollMs ? { pollMs } : {}) }) };
}

describe('scheduler', () => {
  it('plans the next run of each scheduled function in UTC', () => {
    const { scheduler } = setup(new ManualClock(T0));
    expect(scheduler.nextRuns()).toEqual([
      { function: 'nightly-reconcile', schedule: '0 3 * * *', nextRun: '2026-03-01T03:00:00.000Z' },
      { function: 'cleanup', schedule: '@hourly', nextRun: '2026-03-01T03:00:00.000Z' },
    ]);
  });

  it('fires due functions with a POST body {"next_run": ...} and plans the following run', async () => {
    const clock = new ManualClock(T0);
    const { scheduler, calls } = setup(clock);
    expect(await scheduler.tick()).toEqual([]);
    clock.advance(30 * 60_000);
    const runs = await scheduler.tick();
    expect(runs.map((r) => [r.function, r.status, r.dueAt])).toEqual([
      ['nightly-reconcile', 200, '2026-03-01T03:00:00.000Z'],
      ['cleanup', 200, '2026-03-01T03:00:00.000Z'],
    ]);
    const nightly = calls.find((c) => c.name === 'nightly-reconcile')!;
    expect(nightly.event.httpMethod).toBe('POST');
    expect(nightly.event.headers['x-nf-event']).toBe('schedule');
    expect(JSON.parse(nightly.event.body!)).toEqual({ next_run: '2026-03-02T03:00:00.000Z' });
    expect(JSON.parse(calls.find((c) => c.name === 'cleanup')!.event.body!)).toEqual({ next_run: '2026-03-01T04:00:00.000Z' });
    expect(scheduler.nextRuns().map((r) => r.nextRun)).toEqual(['2026-03-02T03:00:00.000Z', '2026-03-01T04:00:00.000Z']);

    clock.advance(60 * 60_000);
    expect((await scheduler.tick()).map((r) => r.function)).toEqual(['cleanup']);
  });

  it('after a long pause a missed schedule runs once, not once per missed slot', async () => {
    const clock = new ManualClock(T0);
    const { scheduler } = setup(clock);
    clock.advance(10 * 3600_000);
    expect((await scheduler.tick()).filter((r) => r.function === 'cleanup')).toHaveLength(1);
  });

  it('runNow invokes on demand without moving the plan; unknown names are refused', async () => {
    const clock = new ManualClock(T0);
    const { scheduler, calls } = setup(clock);
    const run = await scheduler.runNow('cleanup');
    expect(run.status).toBe(200);
    expect(JSON.parse(calls[0]!.event.body!)).toEqual({ next_run: '2026-03-01T03:00:00.000Z' });
    expect(scheduler.nextRuns()[1]!.nextRun).toBe('2026-03-01T03:00:00.000Z');
    await expect(scheduler.runNow('api-activities')).rejects.toMatchObject({ code: 'NOT_SCHEDULED' });
  });

  it('the timer loop fires when the clock reaches the run time', async () => {
    const clock = new ManualClock(T0);
    const { scheduler, calls } = setup(clock, 5);
    const seen: string[] = [];
    scheduler.subscribe((r) => seen.push(r.function));
    scheduler.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(0);
    clock.advance(30 * 60_000);
    await eventually(() => (calls.length === 2 ? true : undefined), 1000);
    await scheduler.stop();
    expect(seen.sort()).toEqual(['cleanup', 'nightly-reconcile']);
  });

  it('POST /.netlify/functions/<scheduled> runs it on demand with next_run in the body', async () => {
    const clock = new ManualClock(T0);
    let seen: NetlifyEvent | undefined;
    const s = await startEmulator(
      [{ name: 'cleanup', kind: 'scheduled', schedule: '@hourly', handler: async (e) => ((seen = e), { statusCode: 200 }) }],
      { clock },
    );
    try {
      const res = await fetch(`${s.url}/.netlify/functions/cleanup?dry=1&dry=2`, { method: 'POST', body: 'ignored' });
      expect(res.status).toBe(200);
      expect(JSON.parse(seen!.body!)).toEqual({ next_run: '2026-03-01T03:00:00.000Z' });
      // The rest of the HTTP request reaches the function too.
      expect(seen!.httpMethod).toBe('POST');
      expect(seen!.rawUrl).toBe(`${s.url}/.netlify/functions/cleanup?dry=1&dry=2`);
      expect(seen!.multiValueQueryStringParameters).toEqual({ dry: ['1', '2'] });
      expect(seen!.headers['x-nf-event']).toBe('schedule');
    } finally {
      await s.close();
    }
  });
});
