import type { RateLimitEvent } from '../../strava/port.js';

export type RateLimitListener = (event: RateLimitEvent) => void;

/**
 * Fans the Strava client's `onRateLimit` out to whoever is listening (a running backfill counts
 * its waits). Wire `emit` into the client and pass the hub as `FunctionDeps.rateLimits`.
 */
export interface RateLimitHub {
  emit: (event: RateLimitEvent) => void;
  subscribe(listener: RateLimitListener): () => void;
}

export function createRateLimitHub(): RateLimitHub {
  const listeners = new Set<RateLimitListener>();
  return {
    emit(event) {
      for (const l of listeners) {
        try {
          l(event);
        } catch {
          /* a listener's failure must not break the Strava request */
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
