import { describe, expect, it } from 'vitest';
import { createUlid, ULID_RE } from '../../src/util/ulid.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const decodeTime = (id: string): number => [...id.slice(0, 10)].reduce((n, c) => n * 32 + CROCKFORD.indexOf(c), 0);

describe('createUlid', () => {
  it('makes 26-character Crockford ids whose first 10 characters are the millisecond', () => {
    const ulid = createUlid(() => Date.UTC(2026, 10, 30, 12, 0, 0, 123));
    const id = ulid();
    expect(id).toMatch(ULID_RE);
    expect(decodeTime(id)).toBe(Date.UTC(2026, 10, 30, 12, 0, 0, 123));
  });

  it('counts up within a millisecond (ids sort in creation order, across the 32-id boundary) and never repeats', () => {
    let ms = 1_700_000_000_000;
    const ulid = createUlid(() => ms);
    const ids: string[] = [];
    for (let i = 0; i < 5000; i++) {
      if (i % 1000 === 999) ms += 1;
      ids.push(ulid());
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(ULID_RE);
  });

  it('stays monotonic when the clock goes back', () => {
    let ms = 1_700_000_000_000;
    const ulid = createUlid(() => ms);
    const a = ulid();
    ms -= 5000;
    const b = ulid();
    expect(b > a).toBe(true);
  });

  it('draws new randomness for each millisecond (two processes starting together do not collide)', () => {
    const ms = 1_700_000_000_000;
    const a = createUlid(() => ms)();
    const b = createUlid(() => ms)();
    expect(a.slice(0, 10)).toBe(b.slice(0, 10));
    expect(a.slice(10)).not.toBe(b.slice(10));
  });
});
