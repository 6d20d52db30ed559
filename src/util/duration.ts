import { usageError } from '../errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Parses `3600`, `45s`, `30m`, `1h`, `7d`, `2w` into seconds. Throws a usage error otherwise. */
export function parseDurationSeconds(input: string, what = 'duration'): number {
  const m = /^\s*(\d+)\s*([smhdw]?)\s*$/i.exec(input);
  if (!m) {
    throw usageError(
      'INVALID_DURATION',
      `invalid ${what} "${input}"`,
      'use a number of seconds or a number with s, m, h, d or w, e.g. 30m, 1h, 7d',
    );
  }
  const seconds = Number(m[1]) * UNIT_SECONDS[(m[2] || 's').toLowerCase()]!;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw usageError('INVALID_DURATION', `invalid ${what} "${input}": must be positive`, 'e.g. 30m, 1h, 7d');
  }
  return seconds;
}

/** 3725 → "1h 2m 5s"; negative values are "expired". */
export function formatDuration(seconds: number): string {
  if (seconds < 0) return 'expired';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  const parts = [d && `${d}d`, h && `${h}h`, m && `${m}m`, (s || seconds < 60) && `${s}s`].filter(Boolean);
  return parts.slice(0, 2).join(' ');
}
