/**
 * Deadlines of running invocations, watched by one timer. Arming and clearing a Node timer per
 * request costs more than a cached answer itself; here a request costs a Set insert and delete.
 * Entries are expired in insertion order, which is deadline order as long as every entry of one
 * Deadlines has the same timeout (one instance per function).
 */
export interface Deadline {
  /** The work finished in time: forget it. */
  clear(): void;
}

export class Deadlines {
  private readonly running = new Set<Entry>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** Calls `onExpired` once `timeoutMs` from now, unless cleared first. */
  start(onExpired: () => void): Deadline {
    const entry = new Entry(performance.now() + this.timeoutMs, onExpired, this);
    this.running.add(entry);
    if (!this.timer) this.timer = setTimeout(this.expire, this.timeoutMs);
    else if (this.running.size === 1) this.timer.ref();
    return entry;
  }

  /** Entries still running. */
  get size(): number {
    return this.running.size;
  }

  forget(entry: Entry): void {
    if (!this.running.delete(entry) || this.running.size > 0 || !this.timer) return;
    // Nothing left to watch: the timer must not keep an idle process alive (up to 15 min). It is
    // unref'd rather than cleared: requests one at a time would otherwise arm and clear a timer
    // each, the very cost this class exists to avoid. It fires early for the next entry at worst.
    this.timer.unref();
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    for (const entry of this.running) {
      if (entry.deadline > now) {
        this.timer = setTimeout(this.expire, entry.deadline - now);
        return;
      }
      this.running.delete(entry);
      entry.onExpired();
    }
  };
}

class Entry implements Deadline {
  constructor(
    readonly deadline: number,
    readonly onExpired: () => void,
    private readonly owner: Deadlines,
  ) {}
  clear(): void {
    this.owner.forget(this);
  }
}
