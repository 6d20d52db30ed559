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

/** What a socket client is doing with the backend, for serve's watchdog and its 504s. */
export interface SocketActivity {
  /** A socket client took the backend (true) or gave it back (false). */
  onHold?(held: boolean): void;
  /** A statement (simple Query or Execute) of a socket client starts (with the statement_timeout in force) or ends (null). */
  onStatement?(running: { timeoutMs: number; text: string } | null): void;
  /** A socket client has held the backend idle, inside a transaction, this long: `onIdleInTransaction` is called. */
  idleInTransactionMs?: number;
  /** Cuts the client holding the backend; false when none is connected any more (the gate then lets go itself). */
  onIdleInTransaction?(): boolean;
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
  constructor(
    private current: PgliteSql,
    private readonly activity: SocketActivity = {},
  ) {}

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
    const activity = this.activity;
    let idleTimer: NodeJS.Timeout | undefined;
    let statementTimeoutMs = 0;
    const letGo = () => {
      clearTimeout(idleTimer);
      const r = release;
      release = undefined;
      if (r) activity.onHold?.(false);
      r?.();
    };
    const waitIdle = () => {
      if (release && activity.idleInTransactionMs && activity.onIdleInTransaction) {
        idleTimer = setTimeout(() => {
          if (!activity.onIdleInTransaction?.()) void rollback().catch(() => undefined).finally(letGo);
        }, activity.idleInTransactionMs);
      }
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
        clearTimeout(idleTimer);
        if (!release) {
          release = await this.hold();
          activity.onHold?.(true);
        }
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
          else waitIdle();
        }
      },
      async execProtocolRawStream(message: Uint8Array, options: { onRawData: (data: Uint8Array) => void }) {
        const statement = activity.onStatement ? statementOf(message) : undefined;
        if (statement !== undefined) {
          statementTimeoutMs = statementTimeoutAfter(statement, statementTimeoutMs);
          if (message[0] !== PARSE) activity.onStatement!({ timeoutMs: statementTimeoutMs, text: statement });
        }
        if (message[0] === TERMINATE) {
          // The client is leaving (it may be gone already): end what it left open and give the
          // backend back now, not when pglite-socket notices the close.
          await shared.base.pglite.execProtocolRawStream(simpleQuery('ROLLBACK'), { onRawData: () => {} });
          tail = READY_IDLE;
          return new Uint8Array(0);
        }
        try {
          return await shared.base.pglite.execProtocolRawStream(message, {
            ...options,
            onRawData: (data: Uint8Array) => {
              tail = Buffer.concat([tail, data]).subarray(-READY_IDLE.length);
              options.onRawData(data);
            },
          });
        } finally {
          if (statement !== undefined && message[0] !== PARSE) activity.onStatement!(null);
        }
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

const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'
const PARSE = 0x50; // 'P'
const EXECUTE = 0x45; // 'E'

/**
 * The SQL a socket message runs or prepares: a simple Query's text, a Parse's statement text, ''
 * for an Execute (the statement was parsed before); undefined for any other message.
 */
function statementOf(message: Uint8Array): string | undefined {
  const type = message[0];
  if (type === EXECUTE) return '';
  if (type !== QUERY && type !== PARSE) return undefined;
  const body = Buffer.from(message.buffer, message.byteOffset + 5, message.byteLength - 5);
  if (type === QUERY) return body.toString('utf8', 0, Math.max(0, body.indexOf(0)));
  // Parse: statement name NUL, query text NUL, ...
  const nameEnd = body.indexOf(0);
  return body.toString('utf8', nameEnd + 1, body.indexOf(0, nameEnd + 1));
}

const TIMEOUT_UNITS_MS: Record<string, number> = { '': 1, us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const SET_TIMEOUT_RE = /statement_timeout\s*(?:=|\bto\b|'\s*,)\s*'?\s*(\d+)\s*(us|ms|s|min|h|d)?\s*'?/i;
const RESET_TIMEOUT_RE = /\breset\s+(?:statement_timeout|all)\b|\bdiscard\s+all\b|statement_timeout\s*(?:=|\bto\b)\s*default\b/i;

/**
 * statement_timeout as a socket client sets it (`SET statement_timeout = 200`, `TO '2s'`,
 * `set_config('statement_timeout', '1min', ...)`, `RESET`). PGlite keeps the setting but cannot
 * enforce it (no timer signal inside the WASM backend): serve's watchdog does. PGlite runs one
 * backend for every client, so the setting is the backend's, as it is for PGlite itself.
 */
export function statementTimeoutAfter(sqlText: string, current: number): number {
  if (!sqlText || !/statement_timeout|reset|discard/i.test(sqlText)) return current;
  if (RESET_TIMEOUT_RE.test(sqlText)) return 0;
  const m = SET_TIMEOUT_RE.exec(sqlText);
  return m ? Math.round(Number(m[1]) * (TIMEOUT_UNITS_MS[(m[2] ?? '').toLowerCase()] ?? 1)) : current;
}
