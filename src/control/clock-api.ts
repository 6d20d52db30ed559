import type { VirtualClock } from '../clock/virtual-clock.js';
import { parseSignedDurationMs, parseTimeSpec } from '../clock/time-spec.js';
import type { ScheduledRun, Scheduler } from '../emulator/scheduler.js';
import { HttpError } from '../emulator/http-error.js';
import type { AdminHandler } from './admin-route.js';

export const CLOCK_API_PATH = '/_/api/clock';

export interface ClockAnswer {
  clock: ReturnType<VirtualClock['state']>;
  /** Scheduled runs the change caught up on, in order. */
  ran: ScheduledRun[];
  nextRuns: ReturnType<Scheduler['nextRuns']>;
}

/**
 * `GET /_/api/clock` shows serve's clock; `POST /_/api/clock` changes it:
 * `{"action":"set","time":"2026-03-01T09:00:00Z" | "+3d" | "now"}`, `{"action":"advance","by":"2h"}`,
 * `{"action":"freeze"}`, `{"action":"resume"}`. A POST answers once the scheduled runs the jump
 * passed have run.
 */
export function clockApi(clock: VirtualClock, scheduler: Scheduler): AdminHandler {
  return async ({ method, body }) => {
    if (method === 'GET' || method === 'HEAD') return answer([]);
    if (method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'use GET or POST /_/api/clock');
    const change = clockChange(body);
    const ran: ScheduledRun[] = [];
    const off = scheduler.subscribe((run) => ran.push(run));
    try {
      change(clock);
      await scheduler.idle();
    } finally {
      off();
    }
    return answer(ran);
  };

  function answer(ran: ScheduledRun[]): ClockAnswer {
    return { clock: clock.state(), ran, nextRuns: scheduler.nextRuns() };
  }
}

function clockChange(body: Record<string, unknown>): (clock: VirtualClock) => void {
  const text = (name: string): string => {
    const v = body[name];
    if (typeof v !== 'string' || !v.trim()) throw new HttpError(400, 'INVALID_CLOCK_CHANGE', `"${name}" must be a string`);
    return v;
  };
  switch (body.action) {
    case 'set': {
      const spec = text('time');
      const at = parseTimeSpec(spec, Date.now());
      return (clock) => (spec.trim().toLowerCase() === 'now' ? clock.reset() : clock.set(at));
    }
    case 'advance': {
      const ms = parseSignedDurationMs(text('by'));
      return (clock) => clock.advance(ms);
    }
    case 'freeze':
      return (clock) => clock.freeze();
    case 'resume':
      return (clock) => clock.resume();
    default:
      throw new HttpError(400, 'INVALID_CLOCK_CHANGE', '"action" must be one of set, advance, freeze, resume');
  }
}
