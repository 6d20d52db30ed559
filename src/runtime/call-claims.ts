/**
 * Who runs a call that waits in an instance: the instance (it starts it) or serve (it takes it
 * back, to give it to another instance or to fail it), settled by one compare-and-swap on memory
 * both threads share, so a call never runs twice and never waits behind a call that hangs.
 */

/** Slots per instance, reused in turn: more than the calls one instance ever holds. */
export const CLAIM_SLOTS = 32;
const QUEUED = 1;
const STARTED = 2;
const TAKEN_BACK = 3;

/** Serve's side, one per instance. */
export class CallClaims {
  readonly buffer = new SharedArrayBuffer(CLAIM_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  private readonly slots = new Int32Array(this.buffer);
  private next = 0;

  /** The slot of a call about to be sent to the instance. */
  queue(): number {
    const slot = this.next++ % CLAIM_SLOTS;
    Atomics.store(this.slots, slot, QUEUED);
    return slot;
  }

  /** Takes a waiting call back; false when the instance has started it. */
  takeBack(slot: number): boolean {
    return Atomics.compareExchange(this.slots, slot, QUEUED, TAKEN_BACK) === QUEUED;
  }
}

/** The instance's side: true when it may start the call (serve has not taken it back). */
export function claimCall(slots: Int32Array, slot: number): boolean {
  return Atomics.compareExchange(slots, slot, QUEUED, STARTED) === QUEUED;
}
