import pg from 'pg';
import { redactDbUrl } from '../config/redact.js';
import type { Queryable, QueryResult, Sql } from './sql.js';

export interface OpenPgOptions {
  /** Pool size; 1 for a PGlite served over a socket (one connection at a time). */
  maxConnections?: number;
  /** Printable name; defaults to the redacted URL. */
  label?: string;
}

const DEFAULT_MAX_CONNECTIONS = 4;
const CONNECT_TIMEOUT_MS = 10_000;

type SslConfig = false | { rejectUnauthorized: boolean };

/**
 * libpq's sslmode semantics: require/prefer encrypt without verifying (Supabase's pooler
 * presents its own CA), verify-ca/verify-full verify, disable/absent means plain TCP. `prefer`
 * falls back to plain TCP when the server has no TLS, as libpq does.
 */
export function sslFromUrl(url: string): { connectionString: string; ssl: SslConfig; plainFallback: boolean } {
  const parsed = new URL(url);
  const mode = parsed.searchParams.get('sslmode');
  parsed.searchParams.delete('sslmode');
  const connectionString = parsed.toString();
  if (mode === 'require' || mode === 'prefer' || mode === 'no-verify') {
    return { connectionString, ssl: { rejectUnauthorized: false }, plainFallback: mode === 'prefer' };
  }
  if (mode === 'verify-ca' || mode === 'verify-full') return { connectionString, ssl: { rejectUnauthorized: true }, plainFallback: false };
  return { connectionString, ssl: false, plainFallback: false };
}

/** What pg says when it asked for TLS and the server has none. */
const NO_SERVER_TLS_RE = /does not support SSL/i;

/** A pool whose first connection succeeded (so a bad URL fails here, not at the first query). */
async function connectedPool(config: pg.PoolConfig): Promise<pg.Pool> {
  const pool = new pg.Pool(config);
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const probe = await pool.connect().catch(async (err: unknown) => {
    await pool.end().catch(() => undefined);
    throw err;
  });
  probe.release();
  return pool;
}

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const result = await client.query(text, params ? [...params] : undefined);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(script: string): Promise<void> {
      await client.query(script);
    },
  };
}

/** Connects to a Postgres server (plain Postgres, Supabase, or a `veloready serve` socket). */
export async function openPg(url: string, options: OpenPgOptions = {}): Promise<Sql> {
  const { connectionString, ssl, plainFallback } = sslFromUrl(url);
  const config: pg.PoolConfig = {
    connectionString,
    ssl,
    max: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  };
  const pool = await connectedPool(config).catch((err: unknown) => {
    if (plainFallback && err instanceof Error && NO_SERVER_TLS_RE.test(err.message)) return connectedPool({ ...config, ssl: false });
    throw err;
  });
  const base = wrap(pool);
  let closed = false;
  return {
    target: { kind: 'postgres', label: options.label ?? redactDbUrl(url) },
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // A client whose rollback failed may still be inside the transaction: destroy it, never reuse it.
      let broken: Error | undefined;
      try {
        await client.query('begin');
        const result = await fn(wrap(client));
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch((rollbackErr: unknown) => {
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        });
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
