import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { serveInfoPath } from '../db/paths.js';
import type { ServeInfo } from '../db/serve-info.js';

export interface RunningServeInfo extends ServeInfo {
  url: string;
  startedAt: string;
  database: string;
  /** The per-run token for state-changing admin calls (the file is 0600). */
  adminToken?: string;
}

/** Tells other commands (and psql users) where the running serve and its database are. */
export function writeServeInfo(dataDir: string, info: RunningServeInfo): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(serveInfoPath(dataDir), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
}

/** Removes serve.json only if it is still ours (a newer serve may have replaced it). */
export function removeServeInfo(dataDir: string, pid = process.pid): void {
  try {
    const current = JSON.parse(readFileSync(serveInfoPath(dataDir), 'utf8')) as { pid?: number };
    if (current.pid === pid) rmSync(serveInfoPath(dataDir), { force: true });
  } catch {
    /* already gone */
  }
}
