import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClockSetting } from './virtual-clock.js';

/**
 * serve's virtual clock kept in the data dir (`clock.json`) so it survives a restart and a
 * snapshot loaded without serve: a frozen clock keeps its instant, a flowing one its offset from
 * real time. No file = real time.
 */
export const CLOCK_FILE = 'clock.json';

type Stored = { frozen: true; atMs: number } | { frozen: false; offsetMs: number };

export function readClockFile(dataDir: string, realNowMs = Date.now()): ClockSetting | undefined {
  let stored: Partial<Stored & { atMs: number; offsetMs: number }>;
  try {
    stored = JSON.parse(readFileSync(join(dataDir, CLOCK_FILE), 'utf8')) as typeof stored;
  } catch {
    return undefined;
  }
  if (stored.frozen === true && Number.isFinite(stored.atMs)) return { atMs: stored.atMs!, frozen: true };
  if (stored.frozen === false && Number.isFinite(stored.offsetMs)) return { atMs: realNowMs + stored.offsetMs!, frozen: false };
  return undefined;
}

/** Writes the clock, or removes the file when it is real time again. */
export function writeClockFile(dataDir: string, setting: ClockSetting, realNowMs = Date.now()): void {
  const path = join(dataDir, CLOCK_FILE);
  const offsetMs = setting.atMs - realNowMs;
  if (!setting.frozen && Math.abs(offsetMs) < 1000) {
    rmSync(path, { force: true });
    return;
  }
  const stored: Stored = setting.frozen ? { frozen: true, atMs: setting.atMs } : { frozen: false, offsetMs };
  writeFileSync(path, JSON.stringify({ ...stored, virtual: new Date(setting.atMs).toISOString() }, null, 2) + '\n');
}
