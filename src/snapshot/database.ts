import { cpSync, existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { acquireDataDirLock } from '../db/lock.js';
import { readHistory } from '../db/history.js';
import { migrate } from '../db/migrate.js';
import { listMigrationFiles } from '../db/migration-files.js';
import { defaultMigrationsDir, pgLockPath, pgliteDir } from '../db/paths.js';
import type { PgliteSql } from '../db/pglite.js';
import type { Queryable } from '../db/sql.js';
import { VeloError } from '../errors.js';
import type { SharedPglite } from '../serve/shared-pglite.js';

/**
 * What a snapshot needs of the embedded database, and nothing more: copy its cluster out, and
 * swap in a prepared one. Two implementations: the data dir at rest, and serve's live database.
 */
export interface SnapshotDatabase {
  /** Copies a consistent cluster into `intoDir`; returns its migration version. */
  capture(intoDir: string): Promise<string>;
  /** Replaces the cluster with the prepared one in `preparedDir` (moved, not copied). */
  replace(preparedDir: string): Promise<void>;
}

export async function migrationVersionOf(q: Queryable): Promise<string> {
  const history = await readHistory(q);
  return history.map((h) => h.version).sort().pop() ?? '0';
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
    const from = await migrationVersionOf(sql);
    assertMigratable(from);
    await migrate(sql);
    return { from, to: await migrationVersionOf(sql) };
  } finally {
    await sql.close();
  }
}

/** The data dir's database with no serve running: opened (and locked) for the time of a call. */
export function restingDatabase(dataDir: string): SnapshotDatabase {
  return {
    async capture(intoDir) {
      if (!existsSync(pgliteDir(dataDir))) {
        throw new VeloError('NO_LOCAL_DATABASE', `${dataDir} has no embedded database yet`, 'run veloready serve (or veloready seed) once first');
      }
      const { openPglite } = await import('../db/pglite.js');
      const sql = await openPglite({ dataDir });
      try {
        const version = await migrationVersionOf(sql);
        await sql.exec('CHECKPOINT');
        cpSync(pgliteDir(dataDir), intoDir, { recursive: true });
        return version;
      } finally {
        await sql.close();
      }
    },
    async replace(preparedDir) {
      const lock = acquireDataDirLock(pgLockPath(dataDir));
      try {
        swapDirs(pgliteDir(dataDir), preparedDir);
      } finally {
        lock.release();
      }
    },
  };
}

/** serve's live database, on its thread (db-worker.ts): copied while quiet, swapped by closing, moving and reopening. */
export function liveDatabase(dataDir: string, shared: SharedPglite, reopen: () => Promise<PgliteSql>): SnapshotDatabase {
  return {
    async capture(intoDir) {
      const version = await migrationVersionOf(shared.sql());
      await shared.whileQuiet(async () => cpSync(pgliteDir(dataDir), intoDir, { recursive: true }));
      return version;
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

/** Moves `prepared` to `target`; the old target goes aside and is deleted (or kept until commit). */
function swapDirs(target: string, prepared: string, opts: { keepOld?: boolean } = {}): { commit(): void; rollback(): void } {
  const aside = `${target}.replaced-${process.pid}`;
  rmSync(aside, { recursive: true, force: true });
  const hadOld = existsSync(target);
  if (hadOld) renameSync(target, aside);
  try {
    renameSync(prepared, target);
  } catch (err) {
    if (hadOld) renameSync(aside, target);
    throw err;
  }
  const commit = (): void => rmSync(aside, { recursive: true, force: true });
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
