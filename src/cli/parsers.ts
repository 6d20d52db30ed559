import { InvalidArgumentError } from 'commander';
import { parseDurationSeconds } from '../util/duration.js';

/** commander argParsers: a bad value is a usage error (exit 2) naming the flag. */
export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a positive whole number.');
  }
  return Number(value);
}

export function durationSeconds(value: string): number {
  try {
    return parseDurationSeconds(value);
  } catch {
    throw new InvalidArgumentError('expected seconds or a duration like 30m, 1h, 7d.');
  }
}

export function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('expected a JSON object, e.g. \'{"plan":"pro"}\'.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError('expected a JSON object, e.g. \'{"plan":"pro"}\'.');
  }
  return parsed as Record<string, unknown>;
}

export function idList(value: string): number[] {
  const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0 || ids.some((s) => !/^\d+$/.test(s))) {
    throw new InvalidArgumentError('expected comma-separated ids, e.g. 1,2,3.');
  }
  return ids.map(Number);
}

export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return n;
}

export function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError('expected a date like 2024-01-01.');
  }
  return value;
}
