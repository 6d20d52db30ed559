import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readClockFile, writeClockFile } from '../../src/clock/clock-file.js';
import { parseSignedDurationMs, parseTimeSpec } from '../../src/clock/time-spec.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';

const T = Date.parse('2026-03-01T02:30:00Z');

/** A machine clock the test moves by hand. */
function machine(start = Date.parse('2026-12-01T12:00:00Z')) {
  let now = start;
  return { now: () => now, pass: (ms: number) => (now += ms) };
}

describe('VirtualClock', () => {
  it('starts at a given time and flows with real time', () => {
    const real = machine();
    const clock = new VirtualClock({ atMs: T }, real.now);
    expect(clock.now()).toBe(T);
    real.pass(5000);
    expect(clock.now()).toBe(T + 5000);
    expect(clock.state()).toMatchObject({ now: '2026-03-01T02:30:05.000Z', frozen: false });
  });

  it('freeze stops it, advance and set move it, resume flows again from the frozen point', () => {
    const real = machine();
    const clock = new VirtualClock({ atMs: T }, real.now);
    clock.freeze();
    real.pass(60_000);
    expect(clock.now()).toBe(T);
    clock.advance(2 * 3600_000);
    expect(clock.now()).toBe(T + 2 * 3600_000);
    clock.resume();
    real.pass(1000);
    expect(clock.now()).toBe(T + 2 * 3600_000 + 1000);
    clock.set(T);
    expect(clock.now()).toBe(T);
    clock.reset();
    expect(clock.now()).toBe(real.now());
    expect(clock.isReal).toBe(true);
  });

  it('sleep waits for the clock: an advance releases a sleeper at once, a frozen clock holds it', async () => {
    const clock = new VirtualClock({ atMs: T, frozen: true });
    let woke = false;
    const sleeping = clock.sleep(15 * 60_000).then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(woke).toBe(false);
    clock.advance(14 * 60_000);
    await new Promise((r) => setTimeout(r, 10));
    expect(woke).toBe(false);
    clock.advance(60_000);
    await sleeping;
    expect(woke).toBe(true);
  });

  it('a flowing clock sleeps in real time', async () => {
    const clock = new VirtualClock({ atMs: T });
    const started = performance.now();
    await clock.sleep(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('tells listeners of every change', () => {
    const clock = new VirtualClock({ atMs: T, frozen: true });
    const seen: Array<[string, boolean]> = [];
    clock.onChange((c, catchUp) => seen.push([c.state().now, catchUp]));
    clock.advance(1000);
    clock.restore({ atMs: T, frozen: true });
    expect(seen).toEqual([
      ['2026-03-01T02:30:01.000Z', true],
      ['2026-03-01T02:30:00.000Z', false],
    ]);
  });
});

describe('time specs', () => {
  const real = Date.parse('2026-12-01T12:00:00Z');
  it('ISO times, shifts from now and "now"', () => {
    expect(parseTimeSpec('2026-03-01T02:30:00Z', real)).toBe(T);
    expect(parseTimeSpec('+3d', real)).toBe(real + 3 * 86400_000);
    expect(parseTimeSpec('-2h', real)).toBe(real - 2 * 3600_000);
    expect(parseTimeSpec('now', real)).toBe(real);
    expect(parseSignedDurationMs('90m')).toBe(90 * 60_000);
    expect(parseSignedDurationMs('-1d')).toBe(-86400_000);
  });
  it('refuses anything else as a usage error', () => {
    for (const bad of ['tomorrow', '12345', '+3x', '2026-13-45T00:00:00Z', '']) {
      expect(() => parseTimeSpec(bad, real)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^INVALID_(TIME|DURATION)$/), exitCode: 2 }));
    }
  });
});

describe('clock.json', () => {
  it('keeps a frozen instant, or a flowing offset from real time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vr-clockfile-'));
    writeClockFile(dir, { atMs: T, frozen: true });
    expect(readClockFile(dir)).toEqual({ atMs: T, frozen: true });
    const real = Date.parse('2026-12-01T12:00:00Z');
    writeClockFile(dir, { atMs: real - 3600_000, frozen: false }, real);
    // An hour later in real time, the clock is still an hour behind.
    expect(readClockFile(dir, real + 3600_000)).toEqual({ atMs: real, frozen: false });
    writeClockFile(dir, { atMs: real, frozen: false }, real);
    expect(readClockFile(dir)).toBeUndefined();
  });
});
