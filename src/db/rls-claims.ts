/**
 * The two attacks isolation alone misses, generated for every public table and rolled back:
 * - cross-tenant reference: user A writes a row A owns whose foreign key points at B's row;
 * - identity claim: A inserts a row choosing its externally assigned key (a Strava id), or
 *   re-keys its own row.
 * Each must be refused; a write that goes through is a finding naming table and column, with the
 * policy or grant that allowed it and the fix.
 */
import { quoteIdent, type ColumnInfo, type PolicyInfo, type TableInfo } from './catalog.js';
import { asUser } from './rls.js';
import { allowedBy, chosenKeyFix, referenceFix, rekeyFix } from './rls-explain.js';
import { buildInsert, FAKE_USERS, ownerColumn, typedValue, type FakeUser, type OwnedRows, type RowRef, type ValueSource } from './rls-rows.js';
import { undone } from './rolled-back.js';
import type { Queryable } from './sql.js';

export interface ClaimCheck {
  operation: string;
  verdict: 'pass' | 'fail';
  detail: string;
  /** On a finding: the policy or grant that allowed the write. */
  allowedBy?: string;
  /** On a finding: one line that closes the hole. */
  fix?: string;
}

interface Attempt {
  ok: boolean;
  detail: string;
}

const INSUFFICIENT_PRIVILEGE = '42501';
/** A GENERATED ALWAYS identity column: the database itself refuses to re-key it. */
const GENERATED_ALWAYS = '428C9';
const AUTH_USERS = 'auth.users';

export interface ClaimContext {
  tx: Queryable;
  tables: readonly TableInfo[];
  policies: readonly PolicyInfo[];
  owned: OwnedRows;
  seq: ValueSource;
  claimsOf: (user: FakeUser) => Record<string, unknown>;
}

/** Columns whose value is assigned outside the database: primary key, no default, not a reference. */
export const externalKeyColumns = (table: TableInfo): ColumnInfo[] =>
  table.columns.filter((c) => table.primaryKey.includes(c.name) && !c.hasDefault && !c.sequenced && !c.generated && !c.references);

/** Foreign keys to another tenant-owned public table (the owner column itself is the isolation check's). */
function tenantReferences(ctx: ClaimContext, table: TableInfo): ColumnInfo[] {
  const owner = ownerColumn(table);
  return table.columns.filter((c) => {
    if (!c.references || c === owner || c.generated || c.references.table === AUTH_USERS) return false;
    const target = ctx.tables.find((t) => `public.${t.name}` === c.references!.table);
    const rows = ctx.owned.rows.get(c.references.table);
    return Boolean(target && ownerColumn(target) && rows?.size === FAKE_USERS.length);
  });
}

export async function checkClaims(ctx: ClaimContext, table: TableInfo): Promise<ClaimCheck[]> {
  const checks: ClaimCheck[] = [];
  const rows = ctx.owned.rows.get(`public.${table.name}`);
  if (!rows) return checks;
  const [a, b] = FAKE_USERS as [FakeUser, FakeUser];
  const mine = rows.get(a.key)!;

  const keys = externalKeyColumns(table);
  if (keys.length > 0) {
    const names = keys.map((k) => k.name).join(', ');
    // A user without a row of its own (its test row made room for) inserts one with a key it picked.
    const insert = buildInsert(table, a, ctx.owned, ctx.seq);
    const attempt = await attemptAs(ctx, a, () => removeRow(ctx, table, mine), insert.text, insert.params);
    checks.push(
      attempt.ok
        ? { operation: `INSERT chosen key ${names}`, verdict: 'pass', detail: attempt.detail }
        : {
            operation: `INSERT chosen key ${names}`,
            verdict: 'fail',
            detail: `a user inserted a row choosing ${table.name}.${names} (${attempt.detail})`,
            allowedBy: await allowedBy(ctx.tx, ctx.policies, table, 'INSERT'),
            fix: chosenKeyFix(table),
          },
    );
  }

  for (const key of table.columns.filter((c) => table.primaryKey.includes(c.name) && !c.generated && !c.references)) {
    const fresh = typedValue(key, ctx.seq);
    const n = mine.params.length;
    const text = `update ${table.qualified} set ${quoteIdent(key.name)} = $${n + 1}::${key.type} where ${mine.where}`;
    const attempt = await attemptAs(ctx, a, () => clearReferencesTo(ctx, table, mine.values), text, [...mine.params, fresh]);
    checks.push(
      attempt.ok
        ? { operation: `UPDATE key ${key.name}`, verdict: 'pass', detail: attempt.detail }
        : {
            operation: `UPDATE key ${key.name}`,
            verdict: 'fail',
            detail: `a user re-keyed its own row: ${table.name}.${key.name} (${attempt.detail})`,
            allowedBy: await allowedBy(ctx.tx, ctx.policies, table, 'UPDATE', key.name),
            fix: rekeyFix(table, key.name, ownerColumn(table), await tableWide(ctx.tx, table, 'UPDATE')),
          },
    );
  }

  for (const col of tenantReferences(ctx, table)) {
    const ref = col.references!;
    const target = ctx.owned.rows.get(ref.table)!.get(b.key)!.values[ref.column];
    if (target === undefined || target === null) continue;
    const makeRoom = () => deleteWhere(ctx, table, col, target);
    const withTarget = withColumn(buildInsert(table, a, ctx.owned, ctx.seq), col, target);
    const ins = await attemptAs(ctx, a, makeRoom, withTarget.text, withTarget.params);
    checks.push(await referenceCheck(ctx, table, 'INSERT', col, ins));
    const n = mine.params.length;
    const text = `update ${table.qualified} set ${quoteIdent(col.name)} = $${n + 1}::${col.type} where ${mine.where}`;
    const upd = await attemptAs(ctx, a, makeRoom, text, [...mine.params, target]);
    checks.push(await referenceCheck(ctx, table, 'UPDATE', col, upd));
  }
  return checks;
}

async function referenceCheck(ctx: ClaimContext, table: TableInfo, cmd: 'INSERT' | 'UPDATE', col: ColumnInfo, attempt: Attempt): Promise<ClaimCheck> {
  const operation = `${cmd} reference ${col.name}`;
  if (attempt.ok) return { operation, verdict: 'pass', detail: attempt.detail };
  return {
    operation,
    verdict: 'fail',
    detail: `a user's row of ${table.name} points at another tenant's ${col.references!.table} row through ${col.name} (${attempt.detail})`,
    allowedBy: await allowedBy(ctx.tx, ctx.policies, table, cmd),
    fix: referenceFix(ctx.policies, table, cmd, col.name, col.references!),
  };
}

async function tableWide(tx: Queryable, table: TableInfo, cmd: string): Promise<boolean> {
  const { rows } = await tx.query<{ ok: boolean }>(`select has_table_privilege('authenticated', $1, $2) as ok`, [table.qualified, cmd]);
  return Boolean(rows[0]?.ok);
}

/** The insert with one column's value replaced (or added). */
function withColumn(insert: { text: string; params: string[] }, col: ColumnInfo, value: string): { text: string; params: string[] } {
  const quoted = quoteIdent(col.name);
  const m = /^insert into (\S+) \((.*?)\) overriding system value values \((.*?)\) returning/.exec(insert.text);
  if (!m) {
    // `default values`: the column alone.
    const text = insert.text.replace(' default values ', ` (${quoted}) overriding system value values ($1::${col.type}) `);
    return { text, params: [value] };
  }
  const names = m[2]!.split(', ');
  const idx = names.indexOf(quoted);
  const params = [...insert.params];
  if (idx >= 0) {
    params[idx] = value;
    return { text: insert.text, params };
  }
  params.push(value);
  const text = insert.text
    .replace(`(${m[2]}) overriding`, `(${m[2]}, ${quoted}) overriding`)
    .replace(`values (${m[3]})`, `values (${m[3]}, $${params.length}::${col.type})`);
  return { text, params };
}

/**
 * Runs `prepare` as the connection's own role (making room: a colliding row removed), then the
 * write as `user`; all undone. Refused (42501) or no row touched passes; anything else is a finding.
 */
async function attemptAs(ctx: ClaimContext, user: FakeUser, prepare: () => Promise<void>, text: string, params: readonly unknown[]): Promise<Attempt> {
  return undone(ctx.tx, async () => {
    await prepare();
    await asUser(ctx.tx, ctx.claimsOf(user));
    try {
      const { rowCount } = await ctx.tx.query(text, params);
      return rowCount === 0 ? { ok: true, detail: 'touched 0 rows' } : { ok: false, detail: 'it went through' };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === INSUFFICIENT_PRIVILEGE) return { ok: true, detail: 'refused' };
      if (e.code === GENERATED_ALWAYS) return { ok: true, detail: 'refused (generated always)' };
      return { ok: false, detail: `not refused by a policy or grant; then failed: ${e.message ?? String(err)}` };
    }
  });
}

/** Best effort, under its own savepoint: a row that cannot be removed is left (the attempt then says so). */
async function quietly(tx: Queryable, fn: () => Promise<void>): Promise<void> {
  await tx.exec('savepoint veloready_room');
  try {
    await fn();
    await tx.exec('release savepoint veloready_room');
  } catch {
    await tx.exec('rollback to savepoint veloready_room; release savepoint veloready_room');
  }
}

/** How deep a chain of references is followed when making room (deeper ones stay; the attempt says so). */
const MAX_REFERENCE_DEPTH = 4;

/** Deletes the rows whose `col` is `value`, and first whatever references them. */
async function deleteWhere(ctx: ClaimContext, table: TableInfo, col: ColumnInfo, value: string, depth = 0): Promise<void> {
  const where = `${quoteIdent(col.name)} = $1::${col.type}`;
  if (depth < MAX_REFERENCE_DEPTH) {
    // Every value as text (to_jsonb alone would turn a bigint id into a lossy JS number).
    const { rows } = await ctx.tx.query<{ v: Record<string, string | null> }>(
      `select (select jsonb_object_agg(key, value #>> '{}') from jsonb_each(to_jsonb(x))) as v from ${table.qualified} x where ${where}`,
      [value],
    );
    for (const r of rows) await clearReferencesTo(ctx, table, r.v, depth + 1);
  }
  await quietly(ctx.tx, async () => {
    await ctx.tx.query(`delete from ${table.qualified} where ${where}`, [value]);
  });
}

/** Removes the rows of public tables that reference this row (so re-keying or deleting it meets no foreign key). */
async function clearReferencesTo(ctx: ClaimContext, table: TableInfo, values: Record<string, string | null>, depth = 0): Promise<void> {
  for (const other of ctx.tables) {
    for (const c of other.columns) {
      if (c.references?.table !== `public.${table.name}`) continue;
      const value = values[c.references.column];
      if (value === undefined || value === null) continue;
      if (other === table && values[c.name] === value) continue;
      await deleteWhere(ctx, other, c, value, depth);
    }
  }
}

async function removeRow(ctx: ClaimContext, table: TableInfo, row: RowRef): Promise<void> {
  await clearReferencesTo(ctx, table, row.values);
  await quietly(ctx.tx, async () => {
    await ctx.tx.query(`delete from ${table.qualified} where ${row.where}`, row.params);
  });
}
