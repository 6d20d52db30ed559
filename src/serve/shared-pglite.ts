import type { PGlite } from '@electric-sql/pglite';
import type { PgliteSql } from '../db/pglite.js';
import type { Sql } from '../db/sql.js';

/** ReadyForQuery with status Idle: 'Z', int32 length 5, 'I'. */
const READY_IDLE = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);

/** A protocol Query message ('Q', length, the SQL, NUL). */
function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const msg = Buffer.alloc(5 + text.length);
  msg.write('Q', 0, 'ascii');
  msg.writeInt32BE(4 + text.length, 1);
  text.copy(msg, 5);
  return msg;
}

/** PGlite's own lock that its query() and transaction() take (pinned PGlite 0.5.14; tested). */
interface PgliteLocks {
  _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * PGlite is one Postgres backend. serve's requests use it directly (PGlite serializes its own
 * queries and transactions); clients of the wire-protocol socket (psql, other veloready
 * commands) take PGlite's transaction lock from their first message until the backend is idle
 * again (ReadyForQuery 'I'), so an open transaction or an extended-protocol sequence is never
 * interleaved with serve's work, and serve's transactions never see a socket client's statements.
 */
export class SharedPglite {
  constructor(private current: PgliteSql) {}

  /** The PGlite serve uses now (a snapshot load swaps it). */
  get base(): PgliteSql {
    return this.current;
  }

  /** The Sql serve's handlers use: it follows a swap of the database underneath (snapshot load). */
  sql(): Sql {
    const current = (): PgliteSql => this.current;
    return {
      get target() {
        return current().target;
      },
      query: (text, params) => this.current.query(text, params),
      exec: (script) => this.current.exec(script),
      transaction: (fn) => this.current.transaction(fn),
      close: () => this.current.close(),
    };
  }

  /**
   * Runs `fn` while no transaction, query or socket client runs, after a CHECKPOINT: the files in
   * the data directory are then one consistent cluster (a snapshot copies them).
   */
  async whileQuiet<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.hold();
    const pglite = this.current.pglite;
    try {
      await pglite.runExclusive(() => pglite.execProtocolRawStream(simpleQuery('CHECKPOINT'), { onRawData: () => {} }));
      return await pglite.runExclusive(fn);
    } finally {
      release();
    }
  }

  /** Serve goes on with `next` (the caller closed the previous one). */
  replace(next: PgliteSql): void {
    this.current = next;
  }

  /** Takes PGlite's transaction lock until the returned function is called. */
  private async hold(): Promise<() => void> {
    const locks = this.base.pglite as unknown as PgliteLocks;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    await new Promise<void>((acquired) => {
      void locks._runExclusiveTransaction(async () => {
        acquired();
        await released;
      });
    });
    return release;
  }

  /** What to hand pglite-socket's server instead of the PGlite instance itself. */
  socketGate(): PGlite {
    const shared = this;
    let release: (() => void) | undefined;
    let tail = Buffer.alloc(0);
    const idle = () => tail.length >= READY_IDLE.length && tail.subarray(tail.length - READY_IDLE.length).equals(READY_IDLE);
    const letGo = () => {
      const r = release;
      release = undefined;
      r?.();
    };
    // We hold PGlite's transaction lock, so SQL goes in over the protocol, not through exec().
    const overProtocol = (script: string) =>
      shared.base.pglite.runExclusive(() => shared.base.pglite.execProtocolRawStream(simpleQuery(script), { onRawData: () => {} }));
    const rollback = () => overProtocol('ROLLBACK');
    const gate = {
      get waitReady() {
        return shared.base.pglite.waitReady;
      },
      // While a socket client holds the backend, report "in transaction" so pglite-socket keeps
      // feeding that same client's messages and no other client's.
      // (Not PGlite's own state: an open in-process transaction is waited for in runExclusive.)
      isInTransaction: () => release !== undefined,
      runExclusive: async <T>(fn: () => Promise<T>): Promise<T> => {
        if (!release) release = await this.hold();
        tail = Buffer.alloc(0);
        try {
          return await shared.base.pglite.runExclusive(fn);
        } catch (err) {
          // The message never completed (pglite-socket then drops that client, without the ROLLBACK
          // it sends only for a client it saw finish a message): end what the client may have left
          // open and give the backend back, or serve would wait for it forever.
          await rollback().catch(() => undefined);
          letGo();
          throw err;
        } finally {
          if (idle()) letGo();
        }
      },
      execProtocolRawStream(message: Uint8Array, options: { onRawData: (data: Uint8Array) => void }) {
        return shared.base.pglite.execProtocolRawStream(message, {
          ...options,
          onRawData: (data: Uint8Array) => {
            tail = Buffer.concat([tail, data]).subarray(-READY_IDLE.length);
            options.onRawData(data);
          },
        });
      },
      async exec(script: string) {
        // pglite-socket's ROLLBACK for a client that disconnected while holding the backend.
        await overProtocol(script);
        letGo();
      },
    };
    return gate as unknown as PGlite;
  }
}
