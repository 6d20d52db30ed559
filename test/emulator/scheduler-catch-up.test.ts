import { describe, expect, it } from 'vitest';
import { VirtualClock, clockChanges } from '../../src/clock/virtual-clock.js';
import { createFunctionRegistry, type FunctionDef } from '../../src/emulator/functions.js';
import { createInvoker } from '../../src/emulator/invoke.js';
import { createJobRunner } from '../../src/emulator/jobs.js';
import { resolveLimits } from '../../src/emulator/limits.js';
import { createScheduler, MAX_CATCH_UP_RUNS } from '../../src/emulator/scheduler.js';

const T0 = Date.parse('2026-03-01T02:30:00Z');

function setup(clock: VirtualClock) {
  const calls: string[] = [];
  const notices: string[] = [];
  const def = (name: string, schedule: string): FunctionDef => ({
    name,
    kind: 'scheduled',
    schedule,
    handler: async () => {
      calls.push(name);
      return { statusCode: 200 };
    },
  });
  const functions = createFunctionRegistry([def('nightly-reconcile', '0 3 * * *'), def('cleanup', '@hourly')]);
  const invoker = createInvoker({ functions, clock, limits: resolveLimits(), jobs: createJobRunner({ clock }) });
  const scheduler = createScheduler({ functions, invoker, clock, clockChanges: clockChanges(clock)!, onNotice: (m) => notices.push(m) });
  return { calls, notices, scheduler };
}

describe('scheduler: catching up after the clock moves', () => {
  it('advancing 1d across 03:00 runs nightly-reconcile once and cleanup 24 times, in due order', async () => {
    const clock = new VirtualClock({ atMs: T0, frozen: true });
    const { scheduler } = setup(clock);
    const runs: Array<[string, string]> = [];
    scheduler.subscribe((r) => runs.push([r.function, r.dueAt]));
    scheduler.start();
    try {
      clock.advance(86400_000);
      await scheduler.idle();
      expect(runs.filter(([f]) => f === 'nightly-reconcile')).toEqual([['nightly-reconcile', '2026-03-01T03:00:00.000Z']]);
      const cleanups = runs.filter(([f]) => f === 'cleanup').map(([, at]) => at);
      expect(cleanups).toHaveLength(24);
      expect(cleanups[0]).toBe('2026-03-01T03:00:00.000Z');
      expect(cleanups[23]).toBe('2026-03-02T02:00:00.000Z');
      expect([...cleanups].sort()).toEqual(cleanups);
      expect(scheduler.nextRuns().map((r) => r.nextRun)).toEqual(['2026-03-02T03:00:00.000Z', '2026-03-02T03:00:00.000Z']);
    } finally {
      await scheduler.stop();
    }
  });

  it(`runs at most ${MAX_CATCH_UP_RUNS} missed runs of one function and says so`, async () => {
    const clock = new VirtualClock({ atMs: T0, frozen: true });
    const { scheduler, calls, notices } = setup(clock);
    scheduler.start();
    try {
      clock.advance(10 * 86400_000);
      await scheduler.idle();
      expect(calls.filter((c) => c === 'cleanup')).toHaveLength(MAX_CATCH_UP_RUNS);
      expect(calls.filter((c) => c === 'nightly-reconcile')).toHaveLength(10);
      expect(notices).toEqual([expect.stringMatching(/cleanup missed more than 100 runs .* skipped the rest/)]);
      expect(scheduler.nextRuns()[1]!.nextRun).toBe('2026-03-11T03:00:00.000Z');
    } finally {
      await scheduler.stop();
    }
  });

  it('a clock set back plans from the new time; a restore (snapshot load) replans without running', async () => {
    const clock = new VirtualClock({ atMs: T0, frozen: true });
    const { scheduler, calls } = setup(clock);
    scheduler.start();
    try {
      clock.set(T0 - 86400_000);
      await scheduler.idle();
      expect(scheduler.nextRuns()[0]!.nextRun).toBe('2026-02-28T03:00:00.000Z');
      clock.restore({ atMs: T0 + 5 * 86400_000, frozen: true });
      await scheduler.idle();
      expect(calls).toEqual([]);
      expect(scheduler.nextRuns()[0]!.nextRun).toBe('2026-03-06T03:00:00.000Z');
    } finally {
      await scheduler.stop();
    }
  });
});
