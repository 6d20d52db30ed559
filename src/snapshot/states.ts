import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SECRETS_FILE } from '../auth/secret.js';
import { CLOCK_FILE, readClockFile, writeClockFile } from '../clock/clock-file.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import type { Clock } from '../clock.js';
import { EXTERNAL_CHANGE_CHECK_MS } from '../blobs/sqlite.js';
import { restingDatabase, type SnapshotDatabase } from './database.js';
import type { LocalState } from './snapshot.js';

/** Keeps the data dir's local JWT secret (secrets.json, 0600), other keys untouched. */
export function writeLocalSecret(dataDir: string, jwtSecret: string): void {
  const path = join(dataDir, SECRETS_FILE);
  let existing: Record<string, unknown> = {};
  try {
    existing = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    /* none yet, or unreadable: replaced */
  }
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...existing, jwtSecret }, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

const setClockFile = (dataDir: string, setting: ReturnType<typeof readClockFile> | null): void => {
  if (setting) writeClockFile(dataDir, setting);
  else rmSync(join(dataDir, CLOCK_FILE), { force: true });
};

/** The data dir with no serve running. */
export function restingState(dataDir: string, jwtSecret: string): LocalState {
  return {
    dataDir,
    database: restingDatabase(dataDir),
    jwtSecret: () => jwtSecret,
    setJwtSecret: (s) => writeLocalSecret(dataDir, s),
    clock: () => readClockFile(dataDir) ?? null,
    setClock: (c) => setClockFile(dataDir, c),
    exclusive: (fn) => fn(),
  };
}

export interface LiveStateOptions {
  dataDir: string;
  /** serve's live database (its thread captures while quiet and swaps by close, move, reopen). */
  database: SnapshotDatabase;
  /** The objects serve's handlers read the secret from (mutated on load). */
  secretHolders: Array<{ jwtSecret: string } | { secret: string }>;
  clock: Clock;
  /** Holds requests while the state is swapped (the emulator's pause). */
  pause: () => Promise<() => void>;
  afterLoad?: () => Promise<void>;
}

/** A running serve's state: requests wait while it is swapped, none fail. */
export function liveState(o: LiveStateOptions): LocalState {
  const secret = (): string => {
    const h = o.secretHolders[0]!;
    return 'jwtSecret' in h ? h.jwtSecret : h.secret;
  };
  return {
    dataDir: o.dataDir,
    database: o.database,
    jwtSecret: secret,
    setJwtSecret(s) {
      for (const h of o.secretHolders) {
        if ('jwtSecret' in h) h.jwtSecret = s;
        else h.secret = s;
      }
      writeLocalSecret(o.dataDir, s);
    },
    clock: () => (o.clock instanceof VirtualClock && !o.clock.isReal ? o.clock.setting() : null),
    setClock(setting) {
      if (o.clock instanceof VirtualClock) o.clock.restore(setting);
    },
    async exclusive(fn, opts = {}) {
      const resume = await o.pause();
      try {
        // Writes the blob store batches commit on the next turn; let them land first.
        await new Promise((r) => setImmediate(r));
        return await fn();
      } finally {
        // serve's blob store rereads its file's version at most this often: let it see a load first.
        if (opts.changed) await new Promise((r) => setTimeout(r, EXTERNAL_CHANGE_CHECK_MS + 10));
        resume();
      }
    },
    ...(o.afterLoad ? { afterLoad: o.afterLoad } : {}),
  };
}
