import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { VeloError } from '../errors.js';
import { isProcessAlive } from './process-alive.js';

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

const TAKEOVER_ATTEMPTS = 3;

function readHolder(path: string): number | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
    return typeof parsed.pid === 'number' ? parsed.pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the embedded database's lock file (`{"pid": n}`), created exclusively. A lock left by a
 * dead process is taken over; a live holder (this process included) is a DB_LOCKED error.
 */
export function acquireDataDirLock(path: string): DataDirLock {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt++) {
    try {
      writeFileSync(path, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }), { flag: 'wx' });
      return {
        path,
        release() {
          if (readHolder(path) === process.pid) {
            try {
              unlinkSync(path);
            } catch {
              // already gone
            }
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(path);
    if (holder !== undefined && isProcessAlive(holder)) {
      const who = holder === process.pid ? `this process (pid ${holder})` : `process ${holder}`;
      throw new VeloError(
        'DB_LOCKED',
        `The embedded database is in use by ${who} (lock file ${path}).`,
        'Stop that process, or run `veloready serve` (other commands then connect through it) and retry.',
      );
    }
    try {
      unlinkSync(path); // stale: its holder is gone
    } catch {
      // someone else removed it first; retry
    }
  }
  throw new VeloError('DB_LOCKED', `Could not take the lock file ${path}.`, 'Retry in a moment.');
}
