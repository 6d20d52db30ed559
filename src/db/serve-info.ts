import { readFileSync } from 'node:fs';
import { isProcessAlive } from './process-alive.js';
import { serveInfoPath } from './paths.js';

/** What a running `veloready serve` writes to `<dataDir>/serve.json`. */
export interface ServeInfo {
  pid: number;
  pgPort: number;
  [key: string]: unknown;
}

/** The running serve's info, or undefined when there is none (missing file, bad JSON, dead pid). */
export function liveServeInfo(dataDir: string): ServeInfo | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(serveInfoPath(dataDir), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const info = parsed as Partial<ServeInfo>;
  if (typeof info.pid !== 'number' || typeof info.pgPort !== 'number') return undefined;
  if (info.pid === process.pid || !isProcessAlive(info.pid)) return undefined;
  return info as ServeInfo;
}
