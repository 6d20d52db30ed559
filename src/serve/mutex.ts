import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * An async mutex that is re-entrant within one async call chain: code already holding it (a
 * transaction callback calling sql.query) runs straight through instead of deadlocking.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private readonly owner = new AsyncLocalStorage<Mutex>();

  /** Runs fn holding the lock. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.owner.getStore() === this) return fn();
    const release = await this.acquire();
    try {
      return await this.owner.run(this, fn);
    } finally {
      release();
    }
  }

  /** Takes the lock for a holder outside any call chain (the Postgres socket); call release(). */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => held);
    return ready;
  }
}
