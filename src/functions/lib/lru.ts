/** A small least-recently-used map: hot cache entries stay parsed in memory, bounded in count. */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  /** The most recently used key: asking for it again (the common case) reorders nothing. */
  private newest: K | undefined;
  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined || key === this.newest) return v;
    this.map.delete(key);
    this.map.set(key, v);
    this.newest = key;
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    this.newest = key;
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    this.map.delete(key);
    if (key === this.newest) this.newest = undefined;
  }

  get size(): number {
    return this.map.size;
  }
}
