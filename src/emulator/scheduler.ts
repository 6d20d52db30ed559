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
  /** Invokes every function whose next run is due on the clock, then plans its following run. */
  tick(): Promise<ScheduledRun[]>;
  /** Invokes a scheduled function now, outside its schedule (its plan is unchanged). */
  runNow(name: string): Promise<ScheduledRun>;
  /** Takes the registry's scheduled functions again (serve reloaded the project's); plans unchanged ones as before. */
  reload(): void;
  /** Starts the timer loop: checks at the next due time, or every `pollMs` at most. */
  start(): void;
  stop(): Promise<void>;
  subscribe(listener: (run: ScheduledRun) => void): () => void;
}

export interface SchedulerOptions {
  functions: FunctionRegistry;
  invoker: Invoker;
  clock: Clock;
  /** Longest real wait between checks (a ManualClock moves without timers firing). */
  pollMs?: number;
}

const DEFAULT_POLL_MS = 30_000;

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

  async function tick(): Promise<ScheduledRun[]> {
    const now = clock.now();
    const due = scheduled.filter((f) => next.get(f.name)! <= now);
    const runs: ScheduledRun[] = [];
    for (const def of due) {
      const dueAt = next.get(def.name)!;
      next.set(def.name, nextRunAfter(def.schedule!, now).getTime());
      runs.push(await invoke(def, dueAt));
    }
    return runs;
  }

  function plan(): void {
    if (!running || scheduled.length === 0) return;
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
      plan();
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await inFlight.catch(() => undefined);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
