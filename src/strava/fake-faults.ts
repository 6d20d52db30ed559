/** Fault injection for the fake Strava: a seeded error rate, added latency, forced statuses per route. */
import { createRng, type Rng } from './prng.js';

export interface ForcedFault {
  /** A route id such as `GET /api/v3/athlete/activities`, `GET /api/v3/activities/:id/streams`, or `*`. */
  route: string;
  /** 429 or a 5xx. */
  status: number;
  /** How many requests it applies to; unset = until cleared. */
  times?: number;
}

export interface FakeStravaFaults {
  /** 0..1: share of API requests answered with `errorStatus` (seeded, reproducible). */
  errorRate?: number;
  errorStatus?: number;
  /** Added to every request, on the injected clock; a change of the faults ends the wait. */
  latencyMs?: number;
  forced?: ForcedFault[];
  seed?: string | number;
}

export interface FaultInjector {
  readonly config: FakeStravaFaults;
  /** The status to answer instead of the real response, if any. */
  decide(route: string, isApi: boolean): number | undefined;
}

export const FAULT_STATUSES = new Set([429, 500, 502, 503, 504]);

/** Validates faults from an admin request or options; throws a RangeError with what is wrong. */
export function validateFaults(input: unknown): FakeStravaFaults {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new RangeError('faults must be a JSON object');
  const f = input as Record<string, unknown>;
  const out: FakeStravaFaults = {};
  if (f.errorRate !== undefined) {
    if (typeof f.errorRate !== 'number' || f.errorRate < 0 || f.errorRate > 1) throw new RangeError('errorRate must be a number in 0..1');
    out.errorRate = f.errorRate;
  }
  if (f.errorStatus !== undefined) {
    if (typeof f.errorStatus !== 'number' || !FAULT_STATUSES.has(f.errorStatus)) throw new RangeError('errorStatus must be 429, 500, 502, 503 or 504');
    out.errorStatus = f.errorStatus;
  }
  if (f.latencyMs !== undefined) {
    if (typeof f.latencyMs !== 'number' || f.latencyMs < 0 || f.latencyMs > 60_000) throw new RangeError('latencyMs must be a number in 0..60000');
    out.latencyMs = f.latencyMs;
  }
  if (f.seed !== undefined) {
    if (typeof f.seed !== 'string' && typeof f.seed !== 'number') throw new RangeError('seed must be a string or number');
    out.seed = f.seed;
  }
  if (f.forced !== undefined) {
    if (!Array.isArray(f.forced)) throw new RangeError('forced must be an array of {route, status, times?}');
    out.forced = f.forced.map((item: unknown) => {
      const r = item as Record<string, unknown>;
      if (typeof r?.route !== 'string' || typeof r.status !== 'number' || !FAULT_STATUSES.has(r.status)) {
        throw new RangeError('each forced fault needs a route string and a status of 429, 500, 502, 503 or 504');
      }
      if (r.times !== undefined && (typeof r.times !== 'number' || !Number.isInteger(r.times) || r.times < 1)) {
        throw new RangeError('forced fault times must be a positive integer');
      }
      return { route: r.route, status: r.status, ...(r.times !== undefined ? { times: r.times as number } : {}) };
    });
  }
  return out;
}

export function createFaultInjector(config: FakeStravaFaults = {}): FaultInjector {
  const rng: Rng = createRng('faults', config.seed ?? 0);
  const forced = (config.forced ?? []).map((f) => ({ ...f }));
  return {
    config,
    decide(route, isApi) {
      const hit = forced.find((f) => (f.route === route || f.route === '*') && (f.times === undefined || f.times > 0));
      if (hit) {
        if (hit.times !== undefined) hit.times--;
        return hit.status;
      }
      if (isApi && config.errorRate && rng.chance(config.errorRate)) return config.errorStatus ?? 500;
      return undefined;
    },
  };
}
