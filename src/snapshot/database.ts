import { existsSync, renameSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { closedMigrationVersion, PG_CONTROL, recordClosedState } from '../db/closed-state.js';
import { acquireDataDirLock } from '../db/lock.js';
import { newestAppliedVersion } from '../db/history.js';
import { migrate } from '../db/migrate.js';
import { listMigrationFiles } from '../db/migration-files.js';
import { defaultMigrationsDir, pgLockPath, pgliteDir } from '../db/paths.js';
import type { PgliteSql } from '../db/pglite.js';
import { VeloError } from '../errors.js';
import type { SharedPglite } from '../serve/shared-pglite.js';
import { DB_DIR } from './manifest.js';
import { readTree, type TreeEntry } from './tree.js';

/** A consistent copy of the embedded database's cluster, in memory. */
export interface CapturedCluster {
  /** Folders and files, paths under `pg/`. */
  entries: TreeEntry[];
  /** The newest migration applied to it (at rest it is read while the copy is compressed). */
  migrationVersion: Promise<string> | string;
}

/**
 * What a snapshot needs of the embedded database, and nothing more: copy its cluster out, and
 * swap in a prepared one. Two implementations: the data dir at rest, and serve's live database.
 */
export interface SnapshotDatabase {
  /** Reads a consistent cluster into memory. */
  capture(): Promise<CapturedCluster>;
  /** Replaces the cluster with the prepared one in `preparedDir` (moved, not copied), at `migrationVersion`. */
  replace(preparedDir: string, migrationVersion?: string): Promise<void>;
}


/** The newest migration this veloready ships. */
export function shippedMigrationVersion(): string {
  return listMigrationFiles(defaultMigrationsDir()).pop()?.version ?? '0';
}

/** Refuses a snapshot from a newer veloready's schema before anything is touched. */
export function assertMigratable(version: string): void {
  const shipped = shippedMigrationVersion();
  if (version > shipped) {
    throw new VeloError(
      'SNAPSHOT_TOO_NEW',
      `the snapshot's database is at migration ${version}, newer than this veloready's ${shipped}`,
      'upgrade veloready to load it',
    );
  }
}

/**
 * Opens the cluster extracted to `<sideDataDir>/pg` (no one else knows the folder: no lock),
 * migrates it forward and closes it, ready for replace().
 */
export async function prepareCluster(sideDataDir: string): Promise<{ from: string; to: string }> {
  const { openPglite } = await import('../db/pglite.js');
  const sql = await openPglite({ dataDir: sideDataDir, skipLock: true });
  try {
    const from = await newestAppliedVersion(sql);
    assertMigratable(from);
    await migrate(sql);
    return { from, to: await newestAppliedVersion(sql) };
  } finally {
    await sql.close();
  }
}

/** The data dir's database with no serve running: its files are still while its lock is held. */
export function restingDatabase(dataDir: string): SnapshotDatabase {
  return {
    async capture() {
      if (!existsSync(pgliteDir(dataDir))) {
        throw new VeloError('NO_LOCAL_DATABASE', `${dataDir} has no embedded database yet`, 'run veloready serve (or veloready seed) once first');
      }
      const lock = acquireDataDirLock(pgLockPath(dataDir));
      let entries: TreeEntry[];
      try {
        entries = readTree(pgliteDir(dataDir), DB_DIR);
      } catch (err) {
        lock.release();
        throw err;
      }
      const pgControl = entries.find((e) => e.path === `${DB_DIR}/${PG_CONTROL}`);
      const recorded = pgControl && !pgControl.dir ? closedMigrationVersion(dataDir, pgControl.data) : undefined;
      if (recorded !== undefined) {
        lock.release();
        return { entries, migrationVersion: recorded };
      }
      // Not closed cleanly since: the version comes from opening the database (CPU on this
      // thread) while the caller compresses the copy (CPU on zlib's threads).
      const migrationVersion = (async () => {
        try {
          const { openPglite } = await import('../db/pglite.js');
          const sql = await openPglite({ dataDir, skipLock: true });
          try {
            return await newestAppliedVersion(sql);
          } finally {
            await sql.close();
          }
        } finally {
          lock.release();
        }
      })();
      return { entries, migrationVersion };
    },
    async replace(preparedDir, migrationVersion) {
      const lock = acquireDataDirLock(pgLockPath(dataDir));
      try {
        swapDirs(pgliteDir(dataDir), preparedDir);
        // As a clean close would: the next save at rest need not start Postgres for the version.
        if (migrationVersion !== undefined) recordClosedState(dataDir, migrationVersion);
      } finally {
        lock.release();
      }
    },
  };
}

/** serve's live database, on its thread (db-worker.ts): read while quiet, swapped by closing, moving and reopening. */
export function liveDatabase(dataDir: string, shared: SharedPglite, reopen: () => Promise<PgliteSql>): SnapshotDatabase {
  return {
    async capture() {
      const migrationVersion = await newestAppliedVersion(shared.sql());
      const entries = await shared.whileQuiet(async () => readTree(pgliteDir(dataDir), DB_DIR));
      return { entries, migrationVersion };
    },
    async replace(preparedDir) {
      await shared.base.close();
      const restore = swapDirs(pgliteDir(dataDir), preparedDir, { keepOld: true });
      try {
        shared.replace(await reopen());
        restore.commit();
      } catch (err) {
        restore.rollback();
        shared.replace(await reopen());
        throw err;
      }
    },
  };
}

let swaps = 0;
const removals = new Set<Promise<void>>();

/** Resolves once every replaced cluster is deleted (serve's database thread waits for it before it ends). */
export async function replacedClustersRemoved(): Promise<void> {
  await Promise.all([...removals]);
}

/** Moves `prepared` to `target`; the old target goes aside and is deleted (or kept until commit). */
function swapDirs(target: string, prepared: string, opts: { keepOld?: boolean } = {}): { commit(): void; rollback(): void } {
  const aside = `${target}.replaced-${process.pid}-${++swaps}`;
  const hadOld = existsSync(target);
  if (hadOld) renameSync(target, aside);
  try {
    renameSync(prepared, target);
  } catch (err) {
    if (hadOld) renameSync(aside, target);
    throw err;
  }
  // The old cluster (~40 MB) is deleted off the caller's path: a load's pause ends without waiting for it.
  const commit = (): void => {
    const removal = rm(aside, { recursive: true, force: true }).catch(() => undefined);
    removals.add(removal);
    void removal.then(() => removals.delete(removal));
  };
  if (!opts.keepOld) commit();
  return {
    commit,
    rollback() {
      rmSync(target, { recursive: true, force: true });
      if (hadOld) renameSync(aside, target);
    },
  };
}

export const PREPARED_DB = (sideDataDir: string): string => join(sideDataDir, 'pg');
