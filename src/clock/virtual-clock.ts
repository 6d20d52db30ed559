import type { Clock } from '../clock.js';

/** What `veloready clock` shows and a snapshot keeps. */
export interface ClockState {
  /** The virtual time, ISO. */
  now: string;
  /** The machine's time when the state was read, ISO (for the "differs by" line). */
  real: string;
  frozen: boolean;
  /** Virtual minus real, ms (0 when serve runs on real time). */
  offsetMs: number;
}

/** How a clock is restored: a virtual instant, and whether it stands still. */
export interface ClockSetting {
  /** Virtual ms since the epoch. */
  atMs: number;
  frozen: boolean;
}

/** `catchUp` is false for a restore (a snapshot load): the scheduler replans without running the runs it passed. */
export type ClockChange = (clock: VirtualClock, catchUp: boolean) => void;

interface Sleeper {
  until: number;
  resolve: () => void;
}

/**
 * serve's one clock: real time shifted by an offset, or frozen at an instant. Everything serve
 * decides (token expiry, cache TTLs, the scheduler, fake Strava's "today") reads it.
 * `sleep` waits for this clock's time, not the machine's: advancing the clock releases sleepers
 * whose time has come, and while frozen a sleeper waits until the clock is moved past its time.
 */
export class VirtualClock implements Clock {
  private offsetMs = 0;
  private frozenAt: number | undefined;
  private readonly sleepers = new Set<Sleeper>();
  private readonly listeners = new Set<ClockChange>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    setting?: Partial<ClockSetting>,
    private readonly realNow: () => number = Date.now,
  ) {
    if (setting?.atMs !== undefined) this.offsetMs = setting.atMs - this.realNow();
    if (setting?.frozen) this.frozenAt = this.now();
  }

  now(): number {
    return this.frozenAt ?? this.realNow() + this.offsetMs;
  }

  get frozen(): boolean {
    return this.frozenAt !== undefined;
  }

  sleep(ms: number): Promise<void> {
    const until = this.now() + Math.max(0, ms);
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.sleepers.add({ until, resolve });
      this.wake();
    });
  }

  /** Jumps to `atMs` (virtual), keeping frozen or flowing as it was. */
  set(atMs: number): void {
    if (this.frozenAt !== undefined) this.frozenAt = atMs;
    else this.offsetMs = atMs - this.realNow();
    this.changed();
  }

  advance(ms: number): void {
    this.set(this.now() + ms);
  }

  freeze(): void {
    if (this.frozenAt === undefined) this.frozenAt = this.now();
    this.changed();
  }

  /** Time flows again from the frozen instant. */
  resume(): void {
    if (this.frozenAt !== undefined) {
      this.offsetMs = this.frozenAt - this.realNow();
      this.frozenAt = undefined;
    }
    this.changed();
  }

  /** Back to the machine's time, flowing. */
  reset(): void {
    this.offsetMs = 0;
    this.frozenAt = undefined;
    this.changed();
  }

  restore(setting: ClockSetting | null): void {
    this.frozenAt = undefined;
    this.offsetMs = setting ? setting.atMs - this.realNow() : 0;
    if (setting?.frozen) this.frozenAt = setting.atMs;
    this.changed(false);
  }

  setting(): ClockSetting {
    return { atMs: this.now(), frozen: this.frozen };
  }

  /** Whether it shows the machine's time (flowing, within a second of it). */
  get isReal(): boolean {
    return this.frozenAt === undefined && Math.abs(this.offsetMs) < 1000;
  }

  state(): ClockState {
    const real = this.realNow();
    const now = this.now();
    return { now: new Date(now).toISOString(), real: new Date(real).toISOString(), frozen: this.frozen, offsetMs: now - real };
  }

  /** Called after every set/advance/freeze/resume (the scheduler catches up on it). */
  onChange(listener: ClockChange): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(catchUp = true): void {
    this.wake();
    for (const l of this.listeners) l(this, catchUp);
  }

  /** Resolves sleepers whose time has come and arms one real timer for the next one. */
  private wake(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    let soonest = Infinity;
    for (const s of this.sleepers) {
      if (s.until <= now) {
        this.sleepers.delete(s);
        s.resolve();
      } else soonest = Math.min(soonest, s.until);
    }
    if (soonest !== Infinity && this.frozenAt === undefined) {
      this.timer = setTimeout(() => this.wake(), soonest - now);
    }
  }
}

/** The clock's change hook when it has one (a VirtualClock), for code that takes any Clock. */
export function clockChanges(clock: Clock): ((listener: (catchUp: boolean) => void) => () => void) | undefined {
  return clock instanceof VirtualClock ? (listener) => clock.onChange((_c, catchUp) => listener(catchUp)) : undefined;
}
