import type { Clock } from '../clock.js';
import { resolveMigrationsDir } from '../db/migrations-dir.js';
import { migrateForServe, type ServeMigration } from '../db/serve-migrate.js';
import type { Sql } from '../db/sql.js';
import type { RequestLog } from '../emulator/request-log.js';
import type { DbThread } from './db-thread.js';
import { DEFAULT_PG_PORT, type ServeOptions } from './options.js';

export interface ServeDatabase {
  sql: Sql;
  /** The embedded database's thread (with its Postgres socket); undefined on a server (`--db-url`). */
  db?: DbThread;
  /** No `athletes` table before migrating: a new database. */
  firstRun: boolean;
  migration: ServeMigration;
}

/**
 * serve's database, open and migrated: the embedded one on its own thread with the Postgres
 * socket, or a server. `--reset` on a server deletes the seeded rows once it is migrated.
 */
export async function openServeDatabase(opts: ServeOptions, dataDir: string, clock: Clock, log: RequestLog): Promise<ServeDatabase> {
  let db: DbThread | undefined;
  let sql: Sql;
  if (opts.dbUrl) {
    // openDatabase says what failed and what to check (DB_CONNECT), as `db status` does.
    const { openDatabase } = await import('../db/open.js');
    sql = await openDatabase({ dbUrl: opts.dbUrl, dataDir });
  } else {
    const { startDbThread } = await import('./db-thread.js');
    db = await startDbThread({
      dataDir,
      pgtap: opts.pgtap ?? false,
      pgPort: opts.pgPort ?? DEFAULT_PG_PORT,
      ...(opts.idleInTransactionMs !== undefined ? { idleInTransactionMs: opts.idleInTransactionMs } : {}),
      // One line, no stack: these are events of the database, not failures of serve's code.
      onEvent: (e) => log.error({ time: new Date(clock.now()).toISOString(), requestId: '-', function: null, status: 0, error: `${e.code}: ${e.message}` }),
    });
    sql = db.sql;
  }
  try {
    const firstRun = !(await sql.query(`select to_regclass('public.athletes') is not null as ok`)).rows[0]?.ok;
    const migration = await migrateForServe(sql, opts.migrations ?? resolveMigrationsDir({ cwd: opts.cwd ?? process.cwd() }));
    if (opts.reset && opts.dbUrl) {
      const { deleteSeeded } = await import('../seed/seed.js');
      await sql.transaction((tx) => deleteSeeded(tx));
    }
    return { sql, ...(db ? { db } : {}), firstRun, migration };
  } catch (err) {
    await sql.close();
    throw err;
  }
}
