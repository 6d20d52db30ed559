import { readFileSync } from 'node:fs';
import { isProcessAlive } from './process-alive.js';
import { serveInfoPath } from './paths.js';

/** What a running `veloready serve` writes to `<dataDir>/serve.json`. */
export interface ServeInfo {
  pid: number;
  /**
   * The embedded database's Postgres socket. Absent when serve runs on a Postgres server
   * (`--db-url`): it then holds no PGlite lock and other commands resolve their database as usual.
   */
  pgPort?: number;
  [key: string]: unknown;
}

const isPort = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 65535;

/** The running serve's info, or undefined when there is none (missing file, bad JSON, dead pid). */
export function liveServeInfo(dataDir: string): ServeInfo | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(serveInfoPath(dataDir), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { pgPort, ...info } = parsed as Partial<ServeInfo>;
  if (typeof info.pid !== 'number') return undefined;
  if (info.pid === process.pid || !isProcessAlive(info.pid)) return undefined;
  // No usable port (none recorded, or an older serve's `0` for --db-url): no socket to go through.
  return isPort(pgPort) ? { ...info, pid: info.pid, pgPort } : { ...info, pid: info.pid };
}
