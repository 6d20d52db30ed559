import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pgliteDir } from './paths.js';

/**
 * What the embedded database was when it was last closed cleanly: its newest migration, beside
 * the SHA-256 of its `global/pg_control` then. Every open and close rewrites pg_control, so the
 * record holds only while nothing has opened the cluster since (a crash, another tool, a loaded
 * snapshot all leave it stale). A snapshot at rest reads the version here instead of starting
 * Postgres for one query.
 */
export const CLOSED_STATE_FILE = 'pg.closed.json';
export const PG_CONTROL = join('global', 'pg_control');

interface ClosedState {
  migrationVersion: string;
  pgControlSha256: string;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** After a clean close, still holding the lock. Best effort: without it a snapshot opens the database. */
export function recordClosedState(dataDir: string, migrationVersion: string): void {
  const path = join(dataDir, CLOSED_STATE_FILE);
  try {
    const state: ClosedState = { migrationVersion, pgControlSha256: sha256(readFileSync(join(pgliteDir(dataDir), PG_CONTROL))) };
    writeFileSync(`${path}.${process.pid}`, JSON.stringify(state) + '\n', { mode: 0o600 });
    renameSync(`${path}.${process.pid}`, path);
  } catch {
    // only a shortcut
  }
}

/** The recorded version when `pgControl` (the cluster's, read now) is what the last clean close left. */
export function closedMigrationVersion(dataDir: string, pgControl: Uint8Array): string | undefined {
  try {
    const state = JSON.parse(readFileSync(join(dataDir, CLOSED_STATE_FILE), 'utf8')) as ClosedState;
    return state.pgControlSha256 === sha256(pgControl) ? state.migrationVersion : undefined;
  } catch {
    return undefined;
  }
}
