import { VeloError } from '../errors.js';
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
