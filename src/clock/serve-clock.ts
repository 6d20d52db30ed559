import type { RequestLog } from '../emulator/request-log.js';
import { readClockFile, writeClockFile } from './clock-file.js';
import { parseTimeSpec } from './time-spec.js';
import { VirtualClock } from './virtual-clock.js';

/**
 * serve's clock: `--clock <time>` when given, else the data dir's clock.json (a clock changed in
 * an earlier run, or a snapshot loaded without serve), else real time.
 */
export function createServeClock(dataDir: string, start?: string): VirtualClock {
  const realNow = Date.now();
  if (start) return new VirtualClock({ atMs: parseTimeSpec(start, realNow) });
  return new VirtualClock(readClockFile(dataDir, realNow));
}

/** Keeps clock.json in step with the clock and logs each change; returns the unsubscribe. */
export function recordClockChanges(clock: VirtualClock, dataDir: string, log: RequestLog): () => void {
  const record = (): void => {
    writeClockFile(dataDir, clock.setting());
    const s = clock.state();
    log.notice({ time: s.now, realTime: s.real, message: `clock: ${s.now}${s.frozen ? ' (frozen)' : ''}` });
  };
  if (!clock.isReal) writeClockFile(dataDir, clock.setting());
  return clock.onChange(record);
}
