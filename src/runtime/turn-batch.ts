/**
 * Items handed over together at the end of this turn of the event loop (its check phase): what
 * one thread sends another through a MessagePort, where each message wakes the receiving thread.
 * An item added alone goes out in the same turn, so a quiet thread adds no delay.
 */
export class TurnBatch<T> {
  private items: T[] = [];
  private transfer: ArrayBuffer[] = [];
  private scheduled?: NodeJS.Immediate;

  constructor(private readonly send: (items: T[], transfer: ArrayBuffer[]) => void) {}

  add(item: T, transfer: readonly ArrayBuffer[] = []): void {
    this.items.push(item);
    for (const buffer of transfer) this.transfer.push(buffer);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Sends what was added now. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.items.length === 0) return;
    const { items, transfer } = this;
    this.items = [];
    this.transfer = [];
    this.send(items, transfer);
  }
}
