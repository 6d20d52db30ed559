/**
 * The one way to run SQL. Values are always bound parameters ($1, $2, ...); identifiers are never
 * interpolated from user input. Two adapters implement it: PGlite (embedded) and pg (a server).
 */
export interface QueryResult<R> {
  rows: R[];
  /** Rows returned or affected. */
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface DbTarget {
  kind: 'embedded' | 'postgres';
  /** Printable, password redacted: `embedded (.veloready/pg)` or `postgres://postgres@127.0.0.1:5432/test`. */
  label: string;
}

export interface Sql extends Queryable {
  readonly target: DbTarget;
  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
