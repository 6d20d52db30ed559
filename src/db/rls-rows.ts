import { quoteIdent, type ColumnInfo, type TableInfo } from './catalog.js';
import type { Queryable } from './sql.js';

/** A fake user of the isolation check. */
export interface FakeUser {
  key: 'a' | 'b';
  id: string;
  email: string;
}

export const FAKE_USERS: readonly FakeUser[] = [
  { key: 'a', id: '7e1a0000-0000-4000-8000-0000000000a1', email: 'rls-test-a@veloready.invalid' },
  { key: 'b', id: '7e1a0000-0000-4000-8000-0000000000b2', email: 'rls-test-b@veloready.invalid' },
];

/** A row the check created, identified by its primary key (or ctid); params are text, cast in `where`. */
export interface RowRef {
  where: string;
  params: string[];
  values: Record<string, string | null>;
}

const USER_COLUMN_RE = /^(user_id|owner_user_id)$/;
const ATHLETE_COLUMN_RE = /^(athlete_id|owner_id)$/;
const ATHLETES_TABLE = 'public.athletes';
const AUTH_USERS = 'auth.users';

/** Fills rows with values far from any real id so collisions with production rows are unlikely. */
export class ValueSource {
  private n = 0;
  next(): number {
    return ++this.n;
  }
}

function numericBase(type: string): bigint | null {
  if (type === 'bigint') return 9_000_000_000_000_000n;
  if (type === 'integer') return 2_000_000_000n;
  if (type === 'smallint') return 30_000n;
  if (/^(numeric|real|double precision)/.test(type)) return 9_000_000_000n;
  return null;
}

/** A literal (as text, cast by the caller) for a column that needs a value. */
export function typedValue(col: ColumnInfo, seq: ValueSource): string {
  const n = seq.next();
  if (col.enumFirst !== null) return col.enumFirst;
  if (col.checkLiteral !== null) return col.checkLiteral;
  const base = numericBase(col.type);
  if (base !== null) return String(base + BigInt(n));
  const t = col.type;
  if (t.endsWith('[]')) return '{}';
  if (/^(text|character varying|character|citext|name)/.test(t)) return `rls-test-${n}`;
  if (t === 'uuid') return `7e1a0000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  if (t === 'boolean') return 'false';
  if (/^timestamp/.test(t) || t === 'date') return '2020-01-01T00:00:00Z';
  if (/^time/.test(t)) return '00:00:00';
  if (t === 'json' || t === 'jsonb') return '{}';
  if (t === 'bytea') return '\\x00';
  if (t === 'interval') return '1 hour';
  if (t === 'inet' || t === 'cidr') return '127.0.0.1';
  throw new Error(`no test value for column ${col.name} of type ${t}`);
}

export interface OwnedRows {
  /** `schema.table` -> user key -> row */
  rows: Map<string, Map<string, RowRef>>;
}

/** The value making a column point at this user's data, or undefined when it is not an owner column. */
export function ownerValue(col: ColumnInfo, user: FakeUser, owned: OwnedRows): string | undefined {
  if (col.references) {
    if (col.references.table === AUTH_USERS && col.references.column === 'id') return user.id;
    const ref = owned.rows.get(col.references.table)?.get(user.key);
    const value = ref?.values[col.references.column];
    if (value !== undefined && value !== null) return value;
    return undefined;
  }
  if (col.type === 'uuid' && USER_COLUMN_RE.test(col.name)) return user.id;
  if (ATHLETE_COLUMN_RE.test(col.name) && numericBase(col.type) !== null) {
    const athlete = owned.rows.get(ATHLETES_TABLE)?.get(user.key);
    const id = athlete?.values.id;
    if (id !== undefined && id !== null) return id;
  }
  return undefined;
}

/** The column that says who owns a row (user id, athlete, or a parent row), if any. */
export function ownerColumn(table: TableInfo): ColumnInfo | undefined {
  const ranked = (c: ColumnInfo): number => {
    if (c.references?.table === AUTH_USERS) return 0;
    if (c.type === 'uuid' && USER_COLUMN_RE.test(c.name)) return 1;
    if (ATHLETE_COLUMN_RE.test(c.name)) return 2;
    if (c.references && !table.primaryKey.includes(c.name)) return 3;
    return 9;
  };
  const best = [...table.columns].filter((c) => !c.generated).sort((x, y) => ranked(x) - ranked(y))[0];
  return best && ranked(best) < 9 ? best : undefined;
}

/** Builds (not runs) an INSERT of a new row owned by `user`. */
export function buildInsert(table: TableInfo, user: FakeUser, owned: OwnedRows, seq: ValueSource): { text: string; params: string[] } {
  const names: string[] = [];
  const casts: string[] = [];
  const params: string[] = [];
  const selfRef = `public.${table.name}`;
  for (const col of table.columns) {
    if (col.generated) continue;
    const isSelfRef = col.references?.table === selfRef;
    const owner = isSelfRef ? undefined : ownerValue(col, user, owned);
    const needed = (col.notNull && !col.hasDefault) || col.sequenced;
    let value: string | undefined = owner;
    if (value === undefined && needed) value = typedValue(col, seq);
    if (value === undefined) continue;
    names.push(quoteIdent(col.name));
    params.push(value);
    casts.push(`$${params.length}::${col.type}`);
  }
  const identity = identityColumns(table);
  const returning = identity.map((c) => (c === 'ctid' ? 'ctid::text as ctid' : `${quoteIdent(c)}::text as ${quoteIdent(c)}`));
  const all = table.columns.filter((c) => !identity.includes(c.name)).map((c) => `${quoteIdent(c.name)}::text as ${quoteIdent(c.name)}`);
  const cols = names.length > 0 ? `(${names.join(', ')}) overriding system value values (${casts.join(', ')})` : 'default values';
  return { text: `insert into ${table.qualified} ${cols} returning ${[...returning, ...all].join(', ')}`, params };
}

function identityColumns(table: TableInfo): string[] {
  return table.primaryKey.length > 0 ? table.primaryKey : ['ctid'];
}

/** Runs an insert built by buildInsert and returns a reference to the new row. */
export async function insertRow(tx: Queryable, table: TableInfo, insert: { text: string; params: string[] }): Promise<RowRef> {
  const { rows } = await tx.query<Record<string, string | null>>(insert.text, insert.params);
  const values = rows[0]!;
  const identity = identityColumns(table);
  // The parameter is cast to the column's type (not the column to text) so the primary key's
  // index is used: on a production database every check is then a lookup, not a table scan.
  const typeOf = (name: string): string => table.columns.find((col) => col.name === name)?.type ?? 'text';
  const where = identity
    .map((c, i) => (c === 'ctid' ? `ctid = $${i + 1}::tid` : `${quoteIdent(c)} = $${i + 1}::${typeOf(c)}`))
    .join(' and ');
  return { where, params: identity.map((c) => values[c] ?? ''), values };
}

/** Public tables ordered so a table comes after those it references. */
export function referenceOrder(tables: TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((t) => [`public.${t.name}`, t]));
  const done = new Set<string>();
  const out: TableInfo[] = [];
  const visit = (t: TableInfo, path: Set<string>): void => {
    const key = `public.${t.name}`;
    if (done.has(key) || path.has(key)) return;
    path.add(key);
    for (const c of t.columns) {
      const ref = c.references ? byName.get(c.references.table) : undefined;
      if (ref && ref !== t) visit(ref, path);
    }
    done.add(key);
    out.push(t);
  };
  for (const t of tables) visit(t, new Set());
  return out;
}
