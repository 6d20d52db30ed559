/**
 * Client-side rate limiter for Strava: learns limits and usage from the X-RateLimit headers,
 * spreads requests once a window is mostly used, waits for the window to reset when it is used
 * up or on a 429. All waiting goes through the injected clock.
 */
import type { Clock } from '../clock.js';
import type { RateLimitEvent } from './port.js';
import {
  DEFAULT_RATE_LIMITS, nextQuarterHour, nextUtcMidnight, parsePair, quarterHourIndex, utcDayIndex, type RateLimits,
} from './rate-windows.js';

/** Above this share of a window's limit, requests are spaced evenly over the rest of the window. */
export const SPREAD_THRESHOLD = 0.8;

export type HeaderBag = Record<string, string | string[] | undefined>;

interface Bucket {
  limit: [number, number];
  usage: [number, number];
}

export interface RateLimiterOptions {
  clock: Clock;
  /** Assumed until the first response tells the real limits. */
  limits?: RateLimits;
  onRateLimit?: (event: RateLimitEvent) => void;
  spreadThreshold?: number;
}

export class RateLimiter {
  private readonly clock: Clock;
  private readonly onRateLimit?: (event: RateLimitEvent) => void;
  private readonly spreadThreshold: number;
  private quarter = -1;
  private day = -1;
  private readonly overall: Bucket;
  private readonly read: Bucket;

  constructor(options: RateLimiterOptions) {
    const limits = options.limits ?? DEFAULT_RATE_LIMITS;
    this.clock = options.clock;
    this.onRateLimit = options.onRateLimit;
    this.spreadThreshold = options.spreadThreshold ?? SPREAD_THRESHOLD;
    this.overall = { limit: [limits.overall.short, limits.overall.daily], usage: [0, 0] };
    this.read = { limit: [limits.read.short, limits.read.daily], usage: [0, 0] };
  }

  /** Current view, for progress displays. */
  snapshot(): { overall: Bucket; read: Bucket } {
    this.roll();
    return { overall: structuredClone(this.overall), read: structuredClone(this.read) };
  }

  private roll(): void {
    const now = this.clock.now();
    const q = quarterHourIndex(now);
    const d = utcDayIndex(now);
    if (d !== this.day) {
      this.day = d;
      this.overall.usage = [0, 0];
      this.read.usage = [0, 0];
    }
    if (q !== this.quarter) {
      this.quarter = q;
      this.overall.usage[0] = 0;
      this.read.usage[0] = 0;
    }
  }

  private async wait(until: number, reason: RateLimitEvent['reason']): Promise<void> {
    const waitMs = Math.max(0, until - this.clock.now());
    this.onRateLimit?.({ waitMs, reason, resetsAt: until });
    await this.clock.sleep(waitMs);
  }

  /** Waits as long as needed before sending one more request, then counts it. */
  async acquire(isRead: boolean): Promise<void> {
    for (;;) {
      this.roll();
      const buckets = isRead ? [this.overall, this.read] : [this.overall];
      const now = this.clock.now();
      if (buckets.some((b) => b.usage[1] >= b.limit[1])) {
        await this.wait(nextUtcMidnight(now), 'daily');
        continue;
      }
      if (buckets.some((b) => b.usage[0] >= b.limit[0])) {
        await this.wait(nextQuarterHour(now), '15min');
        continue;
      }
      // Spacing: the rest of the window shared evenly among the requests it still allows. It is
      // a rate-limit wait like any other, reported under the window that imposes it.
      let spacing = 0;
      let reason: RateLimitEvent['reason'] = '15min';
      for (const b of buckets) {
        if (b.usage[0] >= this.spreadThreshold * b.limit[0]) {
          const gap = (nextQuarterHour(now) - now) / (b.limit[0] - b.usage[0]);
          if (gap > spacing) [spacing, reason] = [gap, '15min'];
        }
        if (b.usage[1] >= this.spreadThreshold * b.limit[1]) {
          const gap = (nextUtcMidnight(now) - now) / (b.limit[1] - b.usage[1]);
          if (gap > spacing) [spacing, reason] = [gap, 'daily'];
        }
      }
      if (spacing > 0) await this.wait(now + Math.ceil(spacing), reason);
      this.roll();
      for (const b of buckets) {
        b.usage[0]++;
        b.usage[1]++;
      }
      return;
    }
  }

  /** Takes the server's word for limits and usage. */
  observe(headers: HeaderBag): void {
    this.roll();
    const apply = (b: Bucket, limit: string, usage: string): void => {
      const l = parsePair(headers[limit]);
      const u = parsePair(headers[usage]);
      if (l) b.limit = l;
      if (u) b.usage = u;
    };
    apply(this.overall, 'x-ratelimit-limit', 'x-ratelimit-usage');
    apply(this.read, 'x-readratelimit-limit', 'x-readratelimit-usage');
  }

  /** After a 429: waits until the exhausted window resets (midnight UTC if daily, else the next quarter hour). */
  async onTooManyRequests(headers: HeaderBag): Promise<void> {
    this.observe(headers);
    const now = this.clock.now();
    const dailyOut = [this.overall, this.read].some((b) => b.usage[1] >= b.limit[1]);
    await this.wait(dailyOut ? nextUtcMidnight(now) : nextQuarterHour(now), '429');
  }
}
