import type { ScheduledRun } from '../emulator/scheduler.js';

/** A scheduled run succeeded when its function answered below 400. */
export const runSucceeded = (run: ScheduledRun): boolean => run.status < 400;

/** `2026-12-03T03:00:00.000Z scheduled nightly-reconcile ok 200 1234.5ms`, for plain / --no-ui output. */
export function scheduledRunText(run: ScheduledRun): string {
  return `${run.dueAt} scheduled ${run.function} ${runSucceeded(run) ? 'ok' : 'failed'} ${run.status} ${run.ms.toFixed(1)}ms\n`;
}

/** The same as one JSON line beside the request lines (`"type":"scheduled"`). */
export function scheduledRunJson(run: ScheduledRun): string {
  return JSON.stringify({ type: 'scheduled', function: run.function, dueAt: run.dueAt, result: runSucceeded(run) ? 'ok' : 'failed', status: run.status, ms: run.ms }) + '\n';
}
