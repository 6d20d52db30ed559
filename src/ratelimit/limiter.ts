/**
 * Fixed-window request budgets per key (a client address, a user), on an injected clock so a
 * virtual clock moves them too. A key's window opens with its first request and lasts `windowMs`;
 * within it `limit` requests pass and the rest learn when the window reopens.
 */
import type { Clock } from '../clock.js';

export interface Budget {
  limit: number;
  windowMs: number;
}

export type Take = { ok: true } | { ok: false; retryAfterS: number };

export interface RateLimiter {
  take(key: string): Take;
}

/** Keys held before expired windows are swept (a burst of distinct addresses cannot grow it forever). */
const SWEEP_AT_KEYS = 10_000;

export function createRateLimiter(budget: Budget, clock: Clock): RateLimiter {
  const windows = new Map<string, { opened: number; used: number }>();
  const sweep = (now: number): void => {
    for (const [k, w] of windows) if (now - w.opened >= budget.windowMs) windows.delete(k);
  };
  return {
    take(key) {
      const now = clock.now();
      let w = windows.get(key);
      if (!w || now - w.opened >= budget.windowMs) {
        if (!w && windows.size >= SWEEP_AT_KEYS) sweep(now);
        w = { opened: now, used: 0 };
        windows.set(key, w);
      }
      if (w.used < budget.limit) {
        w.used += 1;
        return { ok: true };
      }
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((w.opened + budget.windowMs - now) / 1000)) };
    },
  };
}
