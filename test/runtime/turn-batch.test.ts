import { stat } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TurnBatch } from '../../src/runtime/turn-batch.js';

describe('TurnBatch: what one thread sends another in one turn of the event loop', () => {
  it('items added in one turn go out together, in order; the next turn starts a new batch', async () => {
    const sent: number[][] = [];
    const batch = new TurnBatch<number>((items) => sent.push(items));
    batch.add(1);
    batch.add(2);
    batch.add(3);
    expect(sent).toEqual([]);
    await new Promise((r) => setImmediate(r));
    batch.add(4);
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([[1, 2, 3], [4]]);
  });

  it('an item added alone goes out in the same turn, before any timer', async () => {
    const sent: number[][] = [];
    const batch = new TurnBatch<number>((items) => sent.push(items));
    // From an I/O callback, as serve adds calls while it handles requests: the check phase comes before the timers.
    const sentBeforeTimer = await new Promise<number>((resolve) =>
      stat('.', () => {
        setTimeout(() => resolve(sent.length), 0);
        batch.add(7);
      }),
    );
    expect(sentBeforeTimer).toBe(1);
  });
});
