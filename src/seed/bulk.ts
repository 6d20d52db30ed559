/**
 * Bulk inserts as one statement per batch: every column travels as one array parameter and
 * `unnest` turns them back into rows (`insert ... select * from unnest($1::bigint[], ...)`), so a
 * batch of thousands of rows costs one round trip and a handful of bound parameters. Works the
 * same on PGlite and on a Postgres server. Table and column names are constants of this module's
 * callers, never user input.
 */
import type { Queryable } from '../db/sql.js';
import { binaryArray, hasBinaryEncoding } from './binary-array.js';

export interface BulkColumn {
  name: string;
  /** Postgres type of one value, e.g. `bigint`, `text`, `timestamptz`. */
  type: string;
}

const IDENT_RE = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** `insert into table (cols) select * from unnest(...) <suffix>`, the suffix being e.g. `on conflict do nothing`. */
export function bulkInsertSql(table: string, columns: readonly BulkColumn[], suffix = 'on conflict do nothing'): string {
  for (const name of [table, ...columns.map((c) => c.name)]) {
    if (!IDENT_RE.test(name)) throw new Error(`bad identifier ${JSON.stringify(name)}`);
  }
  const names = columns.map((c) => c.name).join(', ');
  const arrays = columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
  return `insert into ${table} (${names}) select * from unnest(${arrays}) ${suffix}`;
}

/** Column-major rows: one array per column, all the same length. */
export class ColumnBatch {
  readonly values: unknown[][];
  constructor(readonly columns: readonly BulkColumn[]) {
    this.values = columns.map(() => []);
  }
  get size(): number {
    return this.values[0]?.length ?? 0;
  }
  push(row: readonly unknown[]): void {
    for (let i = 0; i < this.columns.length; i++) this.values[i]!.push(row[i] ?? null);
  }
  clear(): void {
    for (const v of this.values) v.length = 0;
  }
}

const NEEDS_ESCAPE_RE = /["\\]/;
const ESCAPE_RE = /["\\]/g;
const NUMERIC_TYPES = new Set(['bigint', 'integer', 'real', 'double precision', 'boolean']);

/**
 * A Postgres array literal for one column, built directly: several times faster than the
 * driver's generic per-element conversion, which dominates a large seed otherwise.
 */
export function arrayLiteral(type: string, values: readonly unknown[]): string {
  const hasNull = values.some((v) => v === null || v === undefined);
  if (NUMERIC_TYPES.has(type)) {
    if (!hasNull) return `{${values.join(',')}}`;
    return `{${values.map((v) => (v === null || v === undefined ? 'NULL' : String(v))).join(',')}}`;
  }
  return `{${values
    .map((v) => {
      if (v === null || v === undefined) return 'NULL';
      const text = String(v);
      return NEEDS_ESCAPE_RE.test(text) ? `"${text.replace(ESCAPE_RE, '\\$&')}"` : `"${text}"`;
    })
    .join(',')}}`;
}

/**
 * How array parameters travel: `text` literals work everywhere (PGlite in-process too);
 * `binary` (numbers and timestamps as Buffers) spares a Postgres server the parsing.
 */
export type ArrayEncoding = 'text' | 'binary';

export function encodeColumn(type: string, values: readonly unknown[], encoding: ArrayEncoding): string | Buffer {
  return encoding === 'binary' && hasBinaryEncoding(type) ? binaryArray(type, values) : arrayLiteral(type, values);
}

/**
 * Sends the batch (if any rows) as one statement and empties it. Returns the promise of the rows
 * actually inserted, so the caller may generate the next batch while the database works.
 */
export function flushBatch(
  tx: Queryable,
  table: string,
  batch: ColumnBatch,
  options: { encoding?: ArrayEncoding; suffix?: string } = {},
): Promise<number> {
  if (batch.size === 0) return Promise.resolve(0);
  const encoding = options.encoding ?? 'text';
  const params = batch.columns.map((c, i) => encodeColumn(c.type, batch.values[i]!, encoding));
  const suffix = options.suffix;
  batch.clear();
  return tx.query(bulkInsertSql(table, batch.columns, suffix), params).then((r) => r.rowCount);
}
