import { mkdirSync } from 'node:fs';
import { PGlite, type PGliteOptions, type Transaction } from '@electric-sql/pglite';
import { pgtap } from '@electric-sql/pglite-pgtap';
import { recordClosedState } from './closed-state.js';
import { newestAppliedVersion } from './history.js';
import { acquireDataDirLock, type DataDirLock } from './lock.js';
import { pgLockPath, pgliteDir } from './paths.js';
import type { Queryable, QueryResult, Sql } from './sql.js';
import { makeDataDirPrivate, privateTree } from '../config/private-dir.js';

export interface OpenPgliteOptions {
  /** The veloready data dir: PGlite's files live in `<dataDir>/pg`, the lock in `<dataDir>/pg.lock`. */
  dataDir?: string;
  /** An in-memory database (nothing on disk, no lock). Used when dataDir is absent. */
  memory?: boolean;
  /** Start from a `dumpDataDir()` tarball instead of an empty cluster. */
  loadDataDir?: Blob | File;
  /** Skips the lock file. Only for a directory no other process can know (test copies). */
  skipLock?: boolean;
  /** Don't wait for each write to reach the disk (tests and throwaway copies). */
  relaxedDurability?: boolean;
  /** Printable name; defaults to `embedded (<dataDir>/pg)` or `embedded (memory)`. */
  label?: string;
  /**
   * Load the pgTAP extension (`db test-rls` with pgTAP files). Off by default: installing its
   * bundle adds ~50 ms to every open, and the work leaves V8 on slow paths in Node's own stream
   * code for the rest of the process (serve answers ~10% fewer cache hits with it loaded).
   */
  pgtap?: boolean;
}

/**
 * PGlite zeroes its whole shared buffer pool at every open: at Postgres' default 128 MB that is
 * about half of an open's CPU (~0.4 s of ~0.8 s on a loaded 2-core machine; 32 MB: ~0.4 s in all).
 * One embedded backend over a local database (the demo data is ~10 MB) gains nothing from more:
 * the OS page cache holds its files either way.
 */
export const EMBEDDED_SHARED_BUFFERS = '32MB';

/** The embedded adapter also exposes PGlite itself, for `serve` (pglite-socket) and dumps. */
export interface PgliteSql extends Sql {
  readonly pglite: PGlite;
}

interface PgliteLike {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number; fields: unknown[] }>;
  exec(script: string): Promise<unknown>;
}

function wrap(db: PgliteLike): Queryable {
  return {
    async query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const result = await db.query<R>(text, params ? [...params] : undefined);
      const rowCount = result.fields.length > 0 ? result.rows.length : (result.affectedRows ?? 0);
      return { rows: result.rows, rowCount };
    },
    async exec(script: string): Promise<void> {
      await db.exec(script);
    },
  };
}

/** Opens the embedded database (created on first use), holding its lock file until close(). */
export async function openPglite(options: OpenPgliteOptions = {}): Promise<PgliteSql> {
  const { dataDir } = options;
  let lock: DataDirLock | undefined;
  const pgOptions: PGliteOptions = {
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`],
    ...(options.pgtap ? { extensions: { pgtap } } : {}),
  };
  if (options.loadDataDir) pgOptions.loadDataDir = options.loadDataDir;
  if (options.relaxedDurability) pgOptions.relaxedDurability = true;
  if (dataDir && !options.memory) {
    makeDataDirPrivate(dataDir);
    if (!options.skipLock) lock = acquireDataDirLock(pgLockPath(dataDir));
    pgOptions.dataDir = pgliteDir(dataDir);
  }
  let pglite: PGlite;
  try {
    if (pgOptions.dataDir) mkdirSync(pgOptions.dataDir, { recursive: true });
    pglite = await PGlite.create(pgOptions);
    if (pgOptions.dataDir) privateTree(pgOptions.dataDir);
  } catch (err) {
    lock?.release();
    throw err;
  }
  const label = options.label ?? (pgOptions.dataDir ? `embedded (${pgOptions.dataDir})` : 'embedded (memory)');
  const base = wrap(pglite);
  let closed = false;
  return {
    pglite,
    target: { kind: 'embedded', label },
    query: base.query,
    exec: base.exec,
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return pglite.transaction((tx: Transaction) => fn(wrap(tx)));
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        const version = dataDir && pgOptions.dataDir ? await newestAppliedVersion(base).catch(() => undefined) : undefined;
        await pglite.close();
        if (dataDir && version !== undefined) recordClosedState(dataDir, version);
        if (pgOptions.dataDir) privateTree(pgOptions.dataDir);
      } finally {
        lock?.release();
      }
    },
  };
}
