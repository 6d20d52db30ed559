import { describe, expect, it, vi } from 'vitest';
import { Deadlines } from '../../src/emulator/deadlines.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Deadlines (one timer for every running invocation)', () => {
  it('expires what is still running at its deadline, in order, and never what was cleared', async () => {
    const d = new Deadlines(30);
    const expired: string[] = [];
    const a = d.start(() => expired.push('a'));
    await sleep(10);
    d.start(() => expired.push('b'));
    const c = d.start(() => expired.push('c'));
    a.clear();
    c.clear();
    await sleep(25); // a's deadline passed, but a was cleared; b is not due yet
    expect(expired).toEqual([]);
    await sleep(30);
    expect(expired).toEqual(['b']);
    expect(d.size).toBe(0);
  });

  it('an entry started after the first expiry still gets its own full timeout', async () => {
    const d = new Deadlines(20);
    const expired: number[] = [];
    const t0 = performance.now();
    d.start(() => expired.push(Math.round(performance.now() - t0)));
    await sleep(15);
    d.start(() => expired.push(Math.round(performance.now() - t0)));
    await sleep(60);
    expect(expired).toHaveLength(2);
    expect(expired[0]).toBeGreaterThanOrEqual(19);
    expect(expired[1]).toBeGreaterThanOrEqual(34);
  });

  it('leaves no timer armed once nothing is running, so an idle process can exit', async () => {
    const d = new Deadlines(15 * 60_000);
    const entry = d.start(() => {});
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    entry.clear();
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(after).toBe(before - 1);
  });

  it('requests one at a time reuse one timer: it is kept, unreferenced, while idle, and still expires a later entry at its own deadline', async () => {
    const d = new Deadlines(30);
    const expired: number[] = [];
    const t0 = performance.now();
    const armed = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 100; i++) d.start(() => expired.push(-1)).clear();
    expect(armed).toHaveBeenCalledTimes(1);
    const timer = armed.mock.results[0]!.value as NodeJS.Timeout;
    armed.mockRestore();
    expect(timer.hasRef()).toBe(false); // idle: it keeps no process alive
    await sleep(15);
    d.start(() => expired.push(Math.round(performance.now() - t0)));
    expect(timer.hasRef()).toBe(true); // something is running again
    await sleep(70);
    expect(expired).toHaveLength(1);
    expect(expired[0]).toBeGreaterThanOrEqual(44);
    expect(d.size).toBe(0);
  });
});
