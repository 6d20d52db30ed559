/**
 * The embedded database's own thread: it owns PGlite and the Postgres wire-protocol socket, and
 * answers serve's main thread by message (db-thread.ts). A long query (a socket client's
 * `select pg_sleep(20)`) blocks this thread only; serve's HTTP server keeps answering.
 */
import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Transaction } from '@electric-sql/pglite';
import { openPglite } from '../db/pglite.js';
import { SharedPglite } from './shared-pglite.js';
import type { DbRequest, DbWorkerData, DbWorkerEvent, WireError } from './db-protocol.js';

const port = parentPort!;
const data = workerData as DbWorkerData;
const post = (event: DbWorkerEvent): void => port.postMessage(event);

/** A socket client cut for idling inside a transaction gets Postgres's own FATAL before the close. */
function fatal(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const msg = Buffer.alloc(5 + fields.length);
  msg.write('E', 0, 'ascii');
  msg.writeInt32BE(4 + fields.length, 1);
  fields.copy(msg, 5);
  return msg;
}

/** pglite-socket 0.2.17's internals the idle cut needs (pinned; tested). */
interface SocketInternals {
  handlers: Set<{ handlerId: number; socket: import('node:net').Socket | null; handleError(err: Error): void }>;
  queryQueue: { lastHandlerId: number | null };
}

/** This thread's id for the main thread's setPriority (Linux: /proc/thread-self → `<pid>/task/<tid>`). */
function threadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  // The data dir lock is the main thread's: it outlives a restart of this worker.
  const reopen = () => openPglite({ dataDir: data.dataDir, pgtap: data.pgtap, skipLock: true });
    let socket: PGLiteSocketServer | undefined;
  const shared = new SharedPglite(await reopen(), {
    onHold: (held) => post({ t: 'hold', held, at: Date.now() }),
    onStatement: (running) => post({ t: 'statement', running, at: Date.now() }),
    idleInTransactionMs: data.idleInTransactionMs,
    onIdleInTransaction: () => {
      const internals = socket as unknown as SocketInternals | undefined;
      const holder = internals && [...internals.handlers].find((h) => h.handlerId === internals.queryQueue.lastHandlerId);
      if (!holder) return false;
      const who = holder.socket ? `${holder.socket.remoteAddress}:${holder.socket.remotePort}` : `#${holder.handlerId}`;
      holder.socket?.write(fatal('25P03', 'terminating connection due to idle-in-transaction timeout'));
      // Detaching rolls the client's transaction back (pglite-socket's ROLLBACK) and closes it.
      holder.handleError(new Error('idle in transaction timeout'));
      post({ t: 'idle-cut', client: who, afterMs: data.idleInTransactionMs });
      return true;
    },
  });
  const sql = shared.sql();
  if (data.pgPort !== undefined) {
    socket = new PGLiteSocketServer({ db: shared.socketGate(), port: data.pgPort, host: '127.0.0.1', maxConnections: 16 });
    try {
      await socket.start();
    } catch (err) {
      post({ t: 'failed', error: wire(err), portInUse: true });
      return;
    }
  }

  const txs = new Map<number, { tx: Transaction; finish(commit: boolean): void }>();
  let nextTx = 1;
  const queryable = (tx?: number) => {
    if (tx === undefined) return shared.base.pglite;
    const open = txs.get(tx);
    if (!open) throw new Error(`transaction ${tx} is not open`);
    return open.tx;
  };

  async function answer(req: DbRequest): Promise<unknown> {
    switch (req.op) {
      case 'query': {
        const result = await queryable(req.tx).query(req.text, req.params);
        return { rows: result.rows, rowCount: result.fields.length > 0 ? result.rows.length : (result.affectedRows ?? 0) };
      }
      case 'exec':
        await queryable(req.tx).exec(req.script);
        return null;
      case 'begin': {
        const id = nextTx++;
        return new Promise<number>((began, failed) => {
          shared.base.pglite
            .transaction(
              (tx) =>
                new Promise<void>((committed, rolledBack) => {
                  txs.set(id, { tx, finish: (commit) => (commit ? committed() : rolledBack(ROLLBACK)) });
                  began(id);
                }),
            )
            .then(
              () => undefined,
              (err: unknown) => {
                failed(err); // BEGIN itself failed (no effect once began)
                return err === ROLLBACK ? undefined : err;
              },
            )
            .then((error) => {
              txs.delete(id);
              settled.get(id)?.(error);
              settled.delete(id);
            });
        });
      }
      case 'end': {
        const open = txs.get(req.tx);
        if (!open) throw new Error(`transaction ${req.tx} is not open`);
        const done = new Promise<unknown>((r) => settled.set(req.tx, r));
        open.finish(req.commit);
        const error = await done;
        if (error !== undefined) throw error;
        return null;
      }
      case 'capture': {
        const { entries, migrationVersion } = await (await snapshotDatabase()).capture();
        const { packTree } = await import('../snapshot/tree.js');
        const packed = packTree(entries);
        return new Transfer({ packed, migrationVersion: await migrationVersion }, [packed.buffer]);
      }
      case 'replace':
        await (await snapshotDatabase()).replace(req.preparedDir);
        return null;
      case 'close': {
        await socket?.stop();
        await sql.close();
        const { replacedClustersRemoved } = await import('../snapshot/database.js');
        await replacedClustersRemoved();
        return null;
      }
    }
  }
  /** Snapshot save and load (loaded on first use): the socket follows the swapped database through `shared`. */
  const snapshotDatabase = async () => {
    const { liveDatabase } = await import('../snapshot/database.js');
    return liveDatabase(data.dataDir, shared, reopen);
  };
  const ROLLBACK = Symbol('rollback');
  /** Each ending transaction's outcome: undefined, or the error its COMMIT raised. */
  const settled = new Map<number, (error: unknown) => void>();

  port.on('message', (req: DbRequest) => {
    answer(req).then(
      (value) =>
        value instanceof Transfer
          ? port.postMessage({ t: 'reply', id: req.id, ok: true, value: value.value } satisfies DbWorkerEvent, value.list)
          : post({ t: 'reply', id: req.id, ok: true, value }),
      (err: unknown) => post({ t: 'reply', id: req.id, ok: false, error: wire(err) }),
    );
  });
  const tid = threadId();
  post({ t: 'ready', ...(socket ? { pgPort: Number(socket.getServerConn().split(':').pop()) } : {}), ...(tid ? { tid } : {}) });
}

/** A reply whose buffers move to the main thread instead of being copied (a snapshot's ~40 MB). */
class Transfer {
  constructor(
    readonly value: unknown,
    readonly list: ArrayBuffer[],
  ) {}
}

/** An error as plain data: its message and Postgres fields (code, detail, hint...) survive the thread hop. */
function wire(err: unknown): WireError {
  if (!(err instanceof Error)) return { message: String(err) };
  const out: WireError = { message: err.message, name: err.name };
  for (const [k, v] of Object.entries(err)) if (['string', 'number', 'boolean'].includes(typeof v)) out[k] = v as string | number | boolean;
  return out;
}

main().catch((err: unknown) => post({ t: 'failed', error: wire(err) }));
