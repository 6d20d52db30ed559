/** Messages between serve's main thread (db-thread.ts) and the embedded database's worker (db-worker.ts). */

export interface DbWorkerData {
  dataDir: string;
  pgtap: boolean;
  /** Port of the Postgres socket (0: any free one); undefined: no socket. */
  pgPort?: number;
  /** A socket client idle inside a transaction this long is rolled back and disconnected. */
  idleInTransactionMs: number;
}

export type DbRequest = { id: number } & (
  | { op: 'query'; text: string; params?: unknown[]; tx?: number }
  | { op: 'exec'; script: string; tx?: number }
  | { op: 'begin' }
  | { op: 'end'; tx: number; commit: boolean }
  | { op: 'close' }
  /** A snapshot: read the cluster while quiet (after a CHECKPOINT); replies its files (a PackedTree, transferred) and migration version. */
  | { op: 'capture' }
  /** A snapshot load: close the database, move `preparedDir` in its place, reopen. */
  | { op: 'replace'; preparedDir: string }
);

/** An error as plain data (message, name, Postgres's code/detail/hint...). */
export type WireError = { message: string; name?: string } & Record<string, string | number | boolean>;

export type DbWorkerEvent =
  | { t: 'ready'; pgPort?: number; tid?: number }
  | { t: 'failed'; error: WireError; portInUse?: boolean }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: WireError }
  | { t: 'hold'; held: boolean; at: number }
  | { t: 'statement'; running: { timeoutMs: number; text: string } | null; at: number }
  | { t: 'idle-cut'; client: string; afterMs: number };
