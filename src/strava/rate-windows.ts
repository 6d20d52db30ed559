/**
 * Strava's rate-limit windows: the short window resets at natural quarter hours (:00, :15, :30,
 * :45), the daily one at midnight UTC. Header values are "15-minute,daily" pairs.
 */
export const QUARTER_HOUR_MS = 15 * 60_000;
export const DAY_MS = 86_400_000;

export interface WindowLimits {
  /** Requests per 15 minutes. */
  short: number;
  /** Requests per UTC day. */
  daily: number;
}

export interface RateLimits {
  overall: WindowLimits;
  /** The "non-upload" (read) limit. */
  read: WindowLimits;
}

/** Strava's documented defaults: 200 / 2,000 overall, 100 / 1,000 read. */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  overall: { short: 200, daily: 2000 },
  read: { short: 100, daily: 1000 },
};

export const quarterHourIndex = (ms: number): number => Math.floor(ms / QUARTER_HOUR_MS);
export const utcDayIndex = (ms: number): number => Math.floor(ms / DAY_MS);
export const nextQuarterHour = (ms: number): number => (quarterHourIndex(ms) + 1) * QUARTER_HOUR_MS;
export const nextUtcMidnight = (ms: number): number => (utcDayIndex(ms) + 1) * DAY_MS;

export const formatPair = (short: number, daily: number): string => `${short},${daily}`;

/** Parses "a,b" into [a, b]; undefined when the header is missing or malformed. */
export function parsePair(header: string | string[] | undefined | null): [number, number] | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  if (!text) return undefined;
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p))) return undefined;
  return [parts[0]!, parts[1]!];
}
