import type { Clock } from '../clock.js';
import { VeloError } from '../errors.js';
import type { FunctionDef, FunctionRegistry } from './functions.js';
import type { Invoker } from './invoke.js';
import { scheduledEvent } from './invoke.js';
import { nextRunAfter } from './schedule.js';

export interface ScheduledRun {
  function: string;
  /** ISO time the run was due. */
  dueAt: string;
  status: number;
  ms: number;
}

export interface NextRun {
  function: string;
  schedule: string;
  nextRun: string;
}

export interface Scheduler {
  nextRuns(): NextRun[];
  /**
   * Invokes every function whose next run is due on the clock, then plans its following run;
   * with `everyMissedRun` (after a clock jump) each missed run, in order, capped.
   */
  tick(opts?: { everyMissedRun?: boolean }): Promise<ScheduledRun[]>;
  /** Invokes a scheduled function now, outside its schedule (its plan is unchanged). */
  runNow(name: string): Promise<ScheduledRun>;
  /** Takes the registry's scheduled functions again (serve reloaded the project's); plans unchanged ones as before. */
  reload(): void;
  /** Starts the timer loop: checks at the next due time, or every `pollMs` at most. */
  start(): void;
  stop(): Promise<void>;
  /** Resolves once the runs under way (a catch-up after a clock jump) are done. */
  idle(): Promise<void>;
  subscribe(listener: (run: ScheduledRun) => void): () => void;
}

export interface SchedulerOptions {
  functions: FunctionRegistry;
  invoker: Invoker;
  clock: Clock;
  /** Longest real wait between checks (a ManualClock moves without timers firing). */
  pollMs?: number;
  /** The clock's change hook (a VirtualClock's onChange): a jump runs the missed runs at once. */
  clockChanges?: (listener: (catchUp: boolean) => void) => () => void;
  /** Told when a catch-up skipped runs over the cap. */
  onNotice?: (message: string) => void;
}

const DEFAULT_POLL_MS = 30_000;
/**
 * The most missed runs of one function a catch-up runs (after the clock jumped forward, e.g.
 * `clock advance 30d`): the first ones in order; later missed runs are skipped, and said so.
 */
export const MAX_CATCH_UP_RUNS = 100;

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { clock, invoker } = options;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const scheduledOf = (): FunctionDef[] => options.functions.list().filter((f) => f.kind === 'scheduled' && f.schedule);
  let scheduled = scheduledOf();
  const next = new Map<string, number>(scheduled.map((f) => [f.name, nextRunAfter(f.schedule!, clock.now()).getTime()]));
  const listeners = new Set<(run: ScheduledRun) => void>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let inFlight: Promise<unknown> = Promise.resolve();
  let ticking: Promise<unknown> = Promise.resolve();
  let lastTick = clock.now();
  let offClock: (() => void) | undefined;

  async function invoke(def: FunctionDef, dueAt: number): Promise<ScheduledRun> {
    const started = performance.now();
    const { response } = await invoker.invoke(def, scheduledEvent(def, clock));
    const run = { function: def.name, dueAt: new Date(dueAt).toISOString(), status: response.statusCode, ms: performance.now() - started };
    for (const l of listeners) {
      try {
        l(run);
      } catch {
        /* ignore subscriber errors */
      }
    }
    return run;
  }

  /**
   * Runs what is due by the clock's now. A plain tick runs each due function once (after the
   * machine slept, a missed hourly job runs once); a catch-up (the clock was moved: `clock
   * advance 1d`) runs every missed run, in due order, at most MAX_CATCH_UP_RUNS per function.
   * Ticks never overlap.
   */
  function tick(opts: { everyMissedRun?: boolean } = {}): Promise<ScheduledRun[]> {
    const run = ticking.then(() => runDue(opts.everyMissedRun ?? false));
    ticking = run.catch(() => []);
    return run;
  }

  async function runDue(everyMissedRun: boolean): Promise<ScheduledRun[]> {
    const now = clock.now();
    // The clock went back (clock set to an earlier time): plan from there.
    if (now < lastTick) replanFrom(now);
    lastTick = now;
    const due: Array<{ def: FunctionDef; at: number; order: number }> = [];
    scheduled.forEach((def, order) => {
      let at = next.get(def.name)!;
      let count = 0;
      while (at <= now && count < (everyMissedRun ? MAX_CATCH_UP_RUNS : 1)) {
        due.push({ def, at, order });
        count += 1;
        at = nextRunAfter(def.schedule!, at).getTime();
      }
      if (at <= now && !everyMissedRun) at = nextRunAfter(def.schedule!, now).getTime();
      if (at <= now) {
        options.onNotice?.(
          `scheduler: ${def.name} missed more than ${MAX_CATCH_UP_RUNS} runs up to ${new Date(now).toISOString()}; ran the first ${MAX_CATCH_UP_RUNS}, skipped the rest`,
        );
        at = nextRunAfter(def.schedule!, now).getTime();
      }
      next.set(def.name, at);
    });
    due.sort((a, b) => a.at - b.at || a.order - b.order);
    const runs: ScheduledRun[] = [];
    for (const { def, at } of due) runs.push(await invoke(def, at));
    return runs;
  }

  function replanFrom(now: number): void {
    for (const f of scheduled) next.set(f.name, nextRunAfter(f.schedule!, now).getTime());
    lastTick = now;
  }

  function plan(): void {
    if (!running || scheduled.length === 0) return;
    clearTimeout(timer);
    const soonest = Math.min(...next.values());
    const wait = Math.max(0, Math.min(pollMs, soonest - clock.now()));
    timer = setTimeout(() => {
      // invoke() answers errors as responses; anything that still escapes must not kill the loop.
      inFlight = tick()
        .catch(() => undefined)
        .finally(plan);
    }, wait);
    timer.unref?.();
  }

  return {
    nextRuns: () =>
      scheduled.map((f) => ({ function: f.name, schedule: f.schedule!, nextRun: new Date(next.get(f.name)!).toISOString() })),
    tick,
    async runNow(name) {
      const def = scheduled.find((f) => f.name === name);
      if (!def) {
        throw new VeloError('NOT_SCHEDULED', `"${name}" is not a scheduled function`, `scheduled: ${scheduled.map((f) => f.name).join(', ') || 'none'}`);
      }
      return invoke(def, clock.now());
    },
    reload() {
      const before = new Map(scheduled.map((f) => [f.name, f.schedule]));
      scheduled = scheduledOf();
      for (const name of [...next.keys()]) if (!scheduled.some((f) => f.name === name)) next.delete(name);
      for (const f of scheduled) if (before.get(f.name) !== f.schedule) next.set(f.name, nextRunAfter(f.schedule!, clock.now()).getTime());
      if (running) {
        clearTimeout(timer);
        plan();
      }
    },
    start() {
      if (running) return;
      running = true;
      // Runs are planned from the moment scheduling starts.
      replanFrom(clock.now());
      plan();
      // A jump of the clock: run what it passed now, then plan from the new time.
      offClock = options.clockChanges?.((catchUp) => {
        if (!running) return;
        if (!catchUp) replanFrom(clock.now());
        inFlight = tick({ everyMissedRun: catchUp })
          .catch(() => undefined)
          .finally(plan);
      });
    },
    async stop() {
      running = false;
      offClock?.();
      clearTimeout(timer);
      await inFlight.catch(() => undefined);
      await ticking;
    },
    idle: () => ticking.then(() => undefined),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
