import { usageError } from '../errors.js';
import { parseDurationSeconds } from '../util/duration.js';

const HINT = 'use an ISO time (2026-03-01T09:00:00Z), a shift from now (+3d, -2h), or "now"';

/**
 * A point in time as `serve --clock` and `clock set` take it: an ISO date/time, `now`, or a shift
 * from the machine's time (`+3d`, `-2h`, `+90m`). Returns ms since the epoch.
 */
export function parseTimeSpec(input: string, realNowMs: number): number {
  const text = input.trim();
  if (text.toLowerCase() === 'now') return realNowMs;
  if (/^[+-]/.test(text)) return realNowMs + parseSignedDurationMs(text);
  // A date at least (2026-03-01); a bare number would be ambiguous (seconds? a year?).
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ms;
  }
  throw usageError('INVALID_TIME', `invalid time "${input}"`, HINT);
}

/** `2h`, `+2h`, `-1d` → ms (a bare duration is forward). */
export function parseSignedDurationMs(input: string): number {
  const text = input.trim();
  const sign = text.startsWith('-') ? -1 : 1;
  const magnitude = /^[+-]/.test(text) ? text.slice(1) : text;
  return sign * parseDurationSeconds(magnitude, 'duration') * 1000;
}
