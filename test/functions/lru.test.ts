import { describe, expect, it } from 'vitest';
import { Lru } from '../../src/functions/lib/lru.js';

describe('Lru', () => {
  it('forgets the least recently used entry, counting reads of the newest one too', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1); // a is now the newest
    expect(lru.get('a')).toBe(1); // asked again: still the newest
    lru.set('c', 3); // b goes
    expect(lru.get('b')).toBeUndefined();
    expect([lru.get('a'), lru.get('c')]).toEqual([1, 3]);
    lru.set('d', 4); // a was read before c: a goes
    expect(lru.get('a')).toBeUndefined();
    expect(lru.size).toBe(2);
  });

  it('a deleted newest entry is gone, and setting it again makes it the newest', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.delete('b');
    expect(lru.get('b')).toBeUndefined();
    lru.set('b', 3);
    lru.set('c', 4); // a goes, b stays
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([undefined, 3, 4]);
  });
});
