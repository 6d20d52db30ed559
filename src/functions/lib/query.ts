import type { NetlifyEvent } from '../../emulator/types.js';
import { badRequest } from './http.js';

export const DEFAULT_LIMIT = 30;
export const MAX_LIMIT = 200;
/** Largest id we accept: Strava ids are positive bigints that still fit a JS number exactly. */
const ID_RE = /^[1-9]\d{0,15}$/;
const UNIX_RE = /^\d{1,12}$/;
/** Latest time accepted (9999-12-31T23:59:59Z): JS dates and Postgres timestamps both hold it. */
export const MAX_UNIX_S = 253_402_300_799;
const ISO_RE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** One query parameter's value (the last one when repeated). */
export function queryParam(event: NetlifyEvent, name: string): string | undefined {
  const multi = event.multiValueQueryStringParameters?.[name];
  if (multi && multi.length > 0) return multi[multi.length - 1];
  const single = event.queryStringParameters?.[name];
  return single ?? undefined;
}

/** A positive Strava id (activity or athlete), or 400 `INVALID_ID`. */
export function parseId(value: unknown, what: string): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !ID_RE.test(text)) {
    throw badRequest('INVALID_ID', `${what} must be a positive integer id`);
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw badRequest('INVALID_ID', `${what} is out of range`);
  return n;
}

/** `limit` in 1..200 (default 30), or 400 `INVALID_LIMIT`. */
export function parseLimit(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_LIMIT;
  if (!/^\d{1,4}$/.test(value)) throw badRequest('INVALID_LIMIT', `limit must be an integer from 1 to ${MAX_LIMIT}`);
  const n = Number(value);
  if (n < 1 || n > MAX_LIMIT) throw badRequest('INVALID_LIMIT', `limit must be an integer from 1 to ${MAX_LIMIT}`);
  return n;
}

/** Unix seconds from 0 to MAX_UNIX_S. */
export const isUnixSeconds = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_UNIX_S;

/** A point in time given as unix seconds or an ISO date/time (1970 to 9999); returns unix seconds. */
export function parseTime(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let seconds: number | undefined;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string' && UNIX_RE.test(value)) seconds = Number(value);
  else if (typeof value === 'string' && ISO_RE.test(value)) {
    const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
    if (Number.isFinite(ms)) seconds = Math.floor(ms / 1000);
  }
  if (isUnixSeconds(seconds)) return seconds;
  throw badRequest('INVALID_TIME', `${name} must be unix seconds or an ISO date (2024-01-31 or 2024-01-31T08:00:00Z) between 1970 and 9999`);
}

export interface ListQuery {
  limit: number;
  /** Unix seconds, exclusive: only activities that started before. */
  before?: number;
  /** Unix seconds, exclusive: only activities that started after. */
  after?: number;
}

export function parseListQuery(event: NetlifyEvent): ListQuery {
  const limit = parseLimit(queryParam(event, 'limit'));
  const before = parseTime(queryParam(event, 'before'), 'before');
  const after = parseTime(queryParam(event, 'after'), 'after');
  if (before !== undefined && after !== undefined && after >= before) {
    throw badRequest('INVALID_RANGE', 'after must be earlier than before');
  }
  return { limit, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) };
}
