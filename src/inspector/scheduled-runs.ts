import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { JobRecord } from '../emulator/jobs.js';
import type { Scheduler } from '../emulator/scheduler.js';

/** Scheduled runs kept for the Jobs view. */
const KEPT_RUNS = 200;

/**
 * Runs of scheduled functions as job records: Netlify runs them as plain invocations (no job id),
 * but a developer who presses "run now", or waits for the cron, wants to see it start and end
 * beside the background jobs.
 */
export interface ScheduledRunBook {
  /** Starts the function now and returns its record at once (status `running`). */
  runNow(name: string): JobRecord;
  list(): JobRecord[];
  get(id: string): JobRecord | undefined;
  subscribe(listener: (run: JobRecord) => void): () => void;
  close(): void;
}

export function createScheduledRunBook(scheduler: Scheduler, clock: Clock): ScheduledRunBook {
  const runs = new Map<string, JobRecord>();
  const listeners = new Set<(run: JobRecord) => void>();
  /** Functions with a "run now" in flight: the scheduler reports those runs too; count them once. */
  const manual = new Map<string, number>();
  const iso = (ms = clock.now()): string => new Date(ms).toISOString();
  const publish = (run: JobRecord): void => {
    runs.set(run.id, run);
    if (runs.size > KEPT_RUNS) runs.delete(runs.keys().next().value!);
    for (const l of listeners) l({ ...run });
  };
  const ended = (status: number): Pick<JobRecord, 'status' | 'error'> =>
    status < 400 ? { status: 'succeeded', error: null } : { status: 'failed', error: { code: `HTTP_${status}`, message: `answered ${status}` } };

  const offScheduler = scheduler.subscribe((run) => {
    const pending = manual.get(run.function) ?? 0;
    if (pending > 0) return;
    const finishedAt = clock.now();
    publish({
      id: randomUUID(),
      function: run.function,
      progress: { trigger: 'cron', dueAt: run.dueAt, ms: Math.round(run.ms) },
      createdAt: run.dueAt,
      startedAt: iso(finishedAt - run.ms),
      finishedAt: iso(finishedAt),
      ...ended(run.status),
    });
  });

  return {
    runNow(name) {
      const now = iso();
      const run: JobRecord = { id: randomUUID(), function: name, status: 'running', progress: { trigger: 'inspector' }, error: null, createdAt: now, startedAt: now, finishedAt: null };
      manual.set(name, (manual.get(name) ?? 0) + 1);
      const started = scheduler.runNow(name);
      publish(run);
      void started
        .then(
          (result) => publish({ ...run, ...ended(result.status), progress: { trigger: 'inspector', ms: Math.round(result.ms) }, finishedAt: iso() }),
          (err: unknown) =>
            publish({ ...run, status: 'failed', error: { code: 'RUN_FAILED', message: err instanceof Error ? err.message : String(err) }, finishedAt: iso() }),
        )
        .finally(() => manual.set(name, (manual.get(name) ?? 1) - 1));
      return { ...run };
    },
    list: () => [...runs.values()].map((r) => ({ ...r })),
    get: (id) => {
      const r = runs.get(id);
      return r && { ...r };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      offScheduler();
      listeners.clear();
    },
  };
}
