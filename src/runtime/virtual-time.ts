/**
 * Makes `Date.now()` and `new Date()` in project code follow serve's clock: each invocation
 * carries the clock's time at dispatch, and the instance adds what elapsed since. With the
 * system clock the shift is nil.
 */
export interface VirtualTime {
  /** Takes serve's `clock.now()` of an invocation arriving now. */
  sync(serveNow: number): void;
}

const SKEW_IGNORED_MS = 5;

export function installVirtualTime(): VirtualTime {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  let offset = 0;
  const now = (): number => realNow() + offset;
  const VirtualDate = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget) as object;
    },
    apply() {
      return new RealDate(now()).toString();
    },
    get(target, prop, receiver) {
      if (prop === 'now') return now;
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  globalThis.Date = VirtualDate;
  return {
    sync(serveNow) {
      const shift = serveNow - realNow();
      // The message's own transit is not a shift of the clock.
      offset = Math.abs(shift) <= SKEW_IGNORED_MS ? 0 : shift;
    },
  };
}
