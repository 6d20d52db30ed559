import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VeloError } from '../errors.js';
import { pgliteDir } from './paths.js';
import { redactDbUrl } from '../config/redact.js';
import { liveServeInfo } from './serve-info.js';
import type { Sql } from './sql.js';

export interface OpenDatabaseOptions {
  /** The resolved server URL (`--db-url` > DATABASE_URL); absent means the embedded database. */
  dbUrl?: string | undefined;
  /** The veloready data dir (`.veloready` by default). */
  dataDir: string;
  /** Load pgTAP when the embedded database is opened here (a running serve has it only with --pgtap). */
  pgtap?: boolean;
}

/**
 * The database every command talks to: a server when a URL is given; otherwise the embedded
 * database, reached through a running `veloready serve` that serves it (PGlite is one process's),
 * or opened directly under its lock file (also when the running serve uses a server, --db-url).
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Sql> {
  const { openPg } = await import('./pg.js');
  if (options.dbUrl) {
    try {
      return await openPg(options.dbUrl);
    } catch (err) {
      throw connectError(options.dbUrl, err);
    }
  }
  const serve = liveServeInfo(options.dataDir);
  if (serve?.pgPort !== undefined) {
    const url = `postgres://postgres@127.0.0.1:${serve.pgPort}/postgres`;
    try {
      return await openPg(url, {
        maxConnections: 1,
        label: `embedded via veloready serve (pid ${serve.pid}, 127.0.0.1:${serve.pgPort})`,
      });
    } catch (err) {
      throw connectError(url, err);
    }
  }
  const { openPglite } = await import('./pglite.js');
  return openPglite({ dataDir: options.dataDir, pgtap: options.pgtap ?? false });
}

/** Why a read-only command found no database to read (and created none). */
export interface NoDatabase {
  absent: true;
  /** Printable: what is missing and what to do. */
  reason: string;
}

/** True once PGlite has created its cluster in the data dir. */
export function embeddedDatabaseExists(dataDir: string): boolean {
  return existsSync(join(pgliteDir(dataDir), 'PG_VERSION'));
}

/** A running serve of this data dir that uses a server (--db-url): other commands don't follow it. */
export function serveOnServer(dataDir: string): string | undefined {
  const serve = liveServeInfo(dataDir);
  if (!serve || serve.pgPort !== undefined) return undefined;
  const where = typeof serve['database'] === 'string' ? String(serve['database']) : 'a Postgres server';
  return `veloready serve (pid ${serve.pid}) in this data dir uses ${where}: pass --db-url (or set DATABASE_URL) to look at that database`;
}

/**
 * For read-only commands (`db status`, `db diff`): like openDatabase, but never creates the
 * embedded database; without one it says why instead.
 */
export async function openExistingDatabase(options: OpenDatabaseOptions): Promise<Sql | NoDatabase> {
  if (options.dbUrl || liveServeInfo(options.dataDir)?.pgPort !== undefined || embeddedDatabaseExists(options.dataDir)) {
    return openDatabase(options);
  }
  const reason =
    serveOnServer(options.dataDir) ??
    `no embedded database in ${options.dataDir} yet (\`veloready serve\` or \`veloready db migrate\` creates it; --db-url reads a server)`;
  return { absent: true, reason };
}

function connectError(url: string, err: unknown): VeloError {
  const reason = err instanceof Error ? err.message : String(err);
  return new VeloError(
    'DB_CONNECT',
    `Could not connect to ${redactDbUrl(url)}: ${reason}`,
    'Check --db-url / DATABASE_URL, that the server is running, and its sslmode.',
    1,
    { cause: err },
  );
}
