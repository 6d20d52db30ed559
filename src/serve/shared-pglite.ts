import type { PGlite } from '@electric-sql/pglite';
import type { PgliteSql } from '../db/pglite.js';
import type { Sql } from '../db/sql.js';
import { Mutex } from './mutex.js';

/** ReadyForQuery with status Idle: 'Z', int32 length 5, 'I'. */
const READY_IDLE = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);

/**
 * PGlite is one Postgres backend. serve's own requests and every client of the wire-protocol
 * socket (psql, other veloready commands) take turns on it through one mutex: the socket side
 * holds it from a client's first message until the backend is idle again (ReadyForQuery 'I'),
 * so neither an open transaction nor an extended-protocol sequence is ever interleaved.
 */
export class SharedPglite {
  readonly mutex = new Mutex();

  constructor(readonly base: PgliteSql) {}

  /** The Sql serve's handlers use: each query and each transaction holds the mutex. */
  sql(): Sql {
    const { base, mutex } = this;
    return {
      target: base.target,
      query: (text, params) => mutex.run(() => base.query(text, params)),
      exec: (script) => mutex.run(() => base.exec(script)),
      transaction: (fn) => mutex.run(() => base.transaction(fn)),
      close: () => base.close(),
    };
  }

  /** What to hand pglite-socket's server instead of the PGlite instance itself. */
  socketGate(): PGlite {
    const pglite = this.base.pglite;
    const mutex = this.mutex;
    let release: (() => void) | undefined;
    let tail = Buffer.alloc(0);
    const idle = () => tail.length >= READY_IDLE.length && tail.subarray(tail.length - READY_IDLE.length).equals(READY_IDLE);
    const letGo = () => {
      const r = release;
      release = undefined;
      r?.();
    };
    const gate = {
      get waitReady() {
        return pglite.waitReady;
      },
      // While a socket client holds the backend, report "in transaction" so pglite-socket keeps
      // feeding that same client's messages and no other client's.
      isInTransaction: () => release !== undefined || pglite.isInTransaction(),
      async runExclusive<T>(fn: () => Promise<T>): Promise<T> {
        if (!release) release = await mutex.acquire();
        tail = Buffer.alloc(0);
        try {
          return await pglite.runExclusive(fn);
        } finally {
          if (idle()) letGo();
        }
      },
      execProtocolRawStream(message: Uint8Array, options: { onRawData: (data: Uint8Array) => void }) {
        return pglite.execProtocolRawStream(message, {
          ...options,
          onRawData: (data: Uint8Array) => {
            tail = Buffer.concat([tail, data]).subarray(-READY_IDLE.length);
            options.onRawData(data);
          },
        });
      },
      async exec(script: string) {
        // pglite-socket's ROLLBACK for a client that disconnected mid-transaction.
        const result = await pglite.exec(script);
        if (!pglite.isInTransaction()) letGo();
        return result;
      },
    };
    return gate as unknown as PGlite;
  }
}
