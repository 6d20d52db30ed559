import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createRateLimiter } from '../../src/ratelimit/limiter.js';

describe('rate limiter (fixed windows on an injected clock)', () => {
  it('lets the budget through, then says when the window reopens, then recovers once it has', () => {
    const clock = new ManualClock(1_000_000);
    const limiter = createRateLimiter({ limit: 3, windowMs: 60_000 }, clock);
    expect([1, 2, 3].map(() => limiter.take('ip:a').ok)).toEqual([true, true, true]);
    expect(limiter.take('ip:a')).toEqual({ ok: false, retryAfterS: 60 });
    clock.advance(45_500);
    expect(limiter.take('ip:a')).toEqual({ ok: false, retryAfterS: 15 });
    clock.advance(14_500);
    expect(limiter.take('ip:a')).toEqual({ ok: true });
  });

  it('keys are independent: one client spending its budget leaves another\'s whole', () => {
    const clock = new ManualClock(0);
    const limiter = createRateLimiter({ limit: 1, windowMs: 1000 }, clock);
    expect(limiter.take('user:a').ok).toBe(true);
    expect(limiter.take('user:a').ok).toBe(false);
    expect(limiter.take('user:b').ok).toBe(true);
  });

  it('sweeps expired windows once many keys are held, so distinct addresses cannot grow it forever', () => {
    const clock = new ManualClock(0);
    const limiter = createRateLimiter({ limit: 1, windowMs: 1000 }, clock);
    for (let i = 0; i < 10_000; i++) limiter.take(`ip:${i}`);
    clock.advance(1000);
    expect(limiter.take('ip:new').ok).toBe(true);
    // The old keys' windows were swept, not merely expired: each starts over.
    expect(limiter.take('ip:0').ok).toBe(true);
  });
});
