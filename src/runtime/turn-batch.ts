/**
 * Items handed over together at the end of this turn of the event loop (its check phase): what
 * one thread sends another through a MessagePort, where each message wakes the receiving thread.
 * An item added alone goes out in the same turn, so a quiet thread adds no delay.
 */
export class TurnBatch<T> {
  private items: T[] = [];
  private scheduled = false;

  constructor(private readonly send: (items: T[]) => void) {}

  add(item: T): void {
    this.items.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      const { items } = this;
      this.items = [];
      this.scheduled = false;
      this.send(items);
    });
  }
}
