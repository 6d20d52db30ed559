/** Netlify Functions' limits, enforced locally so code that breaks them fails here first. */
export const BODY_LIMIT_BYTES = 6 * 1024 * 1024;
export const SYNC_TIMEOUT_MS = 10_000;
export const SCHEDULED_TIMEOUT_MS = 30_000;
export const BACKGROUND_TIMEOUT_MS = 15 * 60_000;
export const SHUTDOWN_DEADLINE_MS = 10_000;

export interface Limits {
  /** Request and (sync) response body limit, bytes. */
  bodyBytes: number;
  syncTimeoutMs: number;
  scheduledTimeoutMs: number;
  backgroundTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  bodyBytes: BODY_LIMIT_BYTES,
  syncTimeoutMs: SYNC_TIMEOUT_MS,
  scheduledTimeoutMs: SCHEDULED_TIMEOUT_MS,
  backgroundTimeoutMs: BACKGROUND_TIMEOUT_MS,
});

export function resolveLimits(partial?: Partial<Limits>): Limits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`limit ${name} must be a positive number, got ${value}`);
  }
  return limits;
}
