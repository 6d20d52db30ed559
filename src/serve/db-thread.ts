import { setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { acquireDataDirLock } from '../db/lock.js';
import { pgLockPath, pgliteDir } from '../db/paths.js';
import type { Queryable, QueryResult, Sql } from '../db/sql.js';
import { VeloError } from '../errors.js';
import { workerEntry } from '../util/worker-entry.js';
import type { CapturedCluster } from '../snapshot/database.js';
import { unpackTree, type PackedTree } from '../snapshot/tree.js';
import type { DbRequest, DbWorkerData, DbWorkerEvent, WireError } from './db-protocol.js';

/**
 * serve's embedded database on its own thread (db-worker.ts owns PGlite and the Postgres socket);
 * this side is the `Sql` serve's handlers use, by message. It also keeps watch: a socket
 * client's statement past its statement_timeout (which PGlite cannot enforce inside its WASM
 * backend) restarts the worker, and a query of serve's waiting behind a socket client can say so.
 */
export const DEFAULT_IDLE_IN_TRANSACTION_MS = 10_000;
/** Grace on top of a statement_timeout before the watchdog restarts the database. */
const WATCHDOG_GRACE_MS = 50;
/**
 * A socket client's statement running this long lowers the database thread's priority to
 * LONG_STATEMENT_NICE until it ends: PGlite's pg_sleep and long queries spin a core inside WASM,
 * and below the HTTP thread they take only the CPU serve's requests leave over. (Restoring the
 * priority needs the right to raise it, which root has; without it the thread stays lowered.)
 */
const LONG_STATEMENT_MS = 100;
const LONG_STATEMENT_NICE = 10;

export interface DbThreadOptions {
  dataDir: string;
  pgtap?: boolean;
  /** The Postgres socket's port (0: any free one); undefined: no socket. */
  pgPort?: number;
  idleInTransactionMs?: number;
  /** Things worth a log line: a client cut for idling in a transaction, a restart after a statement_timeout. */
  onEvent?: (event: VeloError) => void;
}

export interface DbThread {
  readonly sql: Sql;
  readonly pgPort?: number;
  /**
   * When serve has a query waiting and a socket client holds the database: what it is doing,
   * for a 504's message (`a Postgres socket client's statement has run for 12.0 s`); else undefined.
   */
  waitNote(): string | undefined;
  /** Snapshot save: reads the cluster while quiet (after a CHECKPOINT), with its migration version. */
  capture(): Promise<CapturedCluster>;
  /** Snapshot load: closes the database, moves `preparedDir` in its place and reopens it. */
  replace(preparedDir: string, migrationVersion?: string): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export async function startDbThread(opts: DbThreadOptions): Promise<DbThread> {
  // The lock is this thread's, so a restarted worker never finds it taken.
  const lock = acquireDataDirLock(pgLockPath(opts.dataDir));
  const entry = await workerEntry(import.meta.url, 'db-worker');
  const label = `embedded (${pgliteDir(opts.dataDir)})`;
  const idleInTransactionMs = opts.idleInTransactionMs ?? DEFAULT_IDLE_IN_TRANSACTION_MS;

  let worker!: Worker;
  let ready!: Promise<void>;
  let pgPort = opts.pgPort;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  let heldSince: number | undefined;
  let statement: { since: number; text: string } | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  let tid: number | undefined;
  let demote: NodeJS.Timeout | undefined;
  let demoted = false;
  const nice = (value: number): boolean => {
    try {
      if (tid !== undefined) setPriority(tid, value);
      return tid !== undefined;
    } catch {
      return false; // not permitted: keep what it is
    }
  };
  let closed = false;
  let restarting = false;

  const failAll = (error: Error): void => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  function spawn(): Promise<void> {
    const data: DbWorkerData = { dataDir: opts.dataDir, pgtap: opts.pgtap ?? false, idleInTransactionMs, ...(pgPort !== undefined ? { pgPort } : {}) };
    const w = (worker = new Worker(entry, { workerData: data }));
    heldSince = undefined;
    statement = undefined;
    return new Promise<void>((resolve, reject) => {
      w.on('message', (event: DbWorkerEvent) => {
        switch (event.t) {
          case 'ready':
            if (event.pgPort !== undefined) pgPort = event.pgPort;
            tid = event.tid;
            demoted = false;
            return resolve();
          case 'failed':
            return reject(
              event.portInUse
                ? new VeloError('PG_PORT_IN_USE', `the Postgres socket port ${pgPort} is in use: ${event.error.message}`, 'pass --pg-port 0 for any free port, or stop what holds it')
                : fromWire(event.error),
            );
          case 'reply': {
            const p = pending.get(event.id);
            pending.delete(event.id);
            if (event.ok) p?.resolve(event.value);
            else p?.reject(fromWire(event.error));
            return;
          }
          case 'hold':
            heldSince = event.held ? event.at : undefined;
            return;
          case 'statement':
            clearTimeout(watchdog);
            clearTimeout(demote);
            if (event.running) demote = setTimeout(() => (demoted = nice(LONG_STATEMENT_NICE) || demoted), LONG_STATEMENT_MS);
            else if (demoted && nice(0)) demoted = false;
            statement = event.running ? { since: event.at, text: event.running.text } : undefined;
            if (event.running && event.running.timeoutMs > 0) {
              const timeoutMs = event.running.timeoutMs;
              watchdog = setTimeout(() => void restart(timeoutMs), Math.max(0, event.at + timeoutMs + WATCHDOG_GRACE_MS - Date.now()));
            }
            return;
          case 'idle-cut':
            opts.onEvent?.(
              new VeloError(
                'DB_IDLE_IN_TRANSACTION',
                `a Postgres socket client (${event.client}) sat idle inside a transaction for ${seconds(event.afterMs)}: rolled back and disconnected`,
                'commit or roll back promptly; serve waits for an open transaction',
              ),
            );
            return;
        }
      });
      w.on('error', (err) => {
        reject(err);
        failAll(new VeloError('DB_WORKER_FAILED', `the embedded database's thread failed: ${err.message}`));
      });
      w.on('exit', (code) => {
        clearTimeout(watchdog);
        clearTimeout(demote);
        failAll(new VeloError('DB_RESTARTED', 'the embedded database restarted while this query waited', 'try again'));
        // Died on its own (not closed, not replaced by the watchdog): start it again for the next query.
        if (w === worker && !closed && !restarting) {
          opts.onEvent?.(new VeloError('DB_WORKER_EXITED', `the embedded database's thread exited (code ${code}); restarting it`));
          ready = spawn();
          ready.catch(() => undefined);
        }
      });
    });
  }

  /** A socket client's statement outran its statement_timeout: nothing can stop PGlite mid-statement but its thread. */
  async function restart(timeoutMs: number): Promise<void> {
    if (closed) return;
    const text = statement?.text;
    opts.onEvent?.(
      new VeloError(
        'DB_STATEMENT_TIMEOUT',
        `a Postgres socket client's statement ran past its statement_timeout (${seconds(timeoutMs)})${text ? `: ${clip(text)}` : ''}; the embedded database restarted (socket clients were disconnected, open transactions rolled back)`,
      ),
    );
    const old = worker;
    ready = (async () => {
      restarting = true;
      try {
        await old.terminate();
      } finally {
        restarting = false;
      }
      await spawn();
    })();
    await ready.catch(() => undefined);
  }

  ready = spawn();
  try {
    await ready;
  } catch (err) {
    await worker.terminate();
    lock.release();
    throw err;
  }

  async function send<T>(req: DbRequest): Promise<T> {
    await ready;
    if (closed && req.op !== 'close') throw new VeloError('DB_CLOSED', 'the embedded database is closed');
    return new Promise<T>((resolve, reject) => {
      pending.set(req.id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage(req);
    });
  }

  const queryable = (tx?: number): Queryable => ({
    query: <R>(text: string, params?: readonly unknown[]) =>
      send<QueryResult<R>>({ id: nextId++, op: 'query', text, ...(params ? { params: [...params] } : {}), ...(tx !== undefined ? { tx } : {}) }),
    exec: (script: string) => send<void>({ id: nextId++, op: 'exec', script, ...(tx !== undefined ? { tx } : {}) }),
  });
  const direct = queryable();

  const sql: Sql = {
    target: { kind: 'embedded', label },
    query: direct.query,
    exec: direct.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const tx = await send<number>({ id: nextId++, op: 'begin' });
      let out: T;
      try {
        out = await fn(queryable(tx));
      } catch (err) {
        await send({ id: nextId++, op: 'end', tx, commit: false }).catch(() => undefined);
        throw err;
      }
      await send({ id: nextId++, op: 'end', tx, commit: true });
      return out;
    },
    close: () => close(),
  };

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      clearTimeout(watchdog);
      try {
        await send({ id: nextId++, op: 'close' });
      } finally {
        closed = true;
        await worker.terminate();
        lock.release();
      }
    })();
    return closing;
  }

  return {
    sql,
    get pgPort() {
      return pgPort;
    },
    waitNote() {
      if (pending.size === 0 || heldSince === undefined) return undefined;
      const now = Date.now();
      return statement
        ? `the embedded database was busy with a Postgres socket client's statement for ${seconds(now - statement.since)}${statement.text ? ` (${clip(statement.text)})` : ''}`
        : `a Postgres socket client has held the embedded database in an open transaction for ${seconds(now - heldSince)}`;
    },
    async capture() {
      const { packed, migrationVersion } = await send<{ packed: PackedTree; migrationVersion: string }>({ id: nextId++, op: 'capture' });
      return { entries: unpackTree(packed), migrationVersion };
    },
    replace: (preparedDir) => send<void>({ id: nextId++, op: 'replace', preparedDir }),
    close,
  };
}

function fromWire(wire: WireError): Error {
  const err = new Error(wire.message);
  for (const [k, v] of Object.entries(wire)) if (k !== 'message' && k !== 'stack') (err as unknown as Record<string, unknown>)[k] = v;
  return err;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const clip = (text: string): string => (text.length > 60 ? `${text.slice(0, 57)}...` : text).replace(/\s+/g, ' ');
