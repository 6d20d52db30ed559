import type { Queryable } from './sql.js';
import type { MigrationFile } from './migration-files.js';
import { isTransactionControl, splitStatements } from './sql-split.js';

/** Kept outside `public` so RLS checks and PostgREST never see it. */
export const HISTORY_TABLE = 'veloready.schema_migrations';
/** What `db repair` did, by whom and when (the history table itself only holds the outcome). */
export const REPAIR_LOG_TABLE = 'veloready.schema_repairs';
const SUPABASE_HISTORY_TABLE = 'supabase_migrations.schema_migrations';

/** Key of the advisory lock every migration transaction takes (any constant bigint). */
export const MIGRATION_LOCK_KEY = 7_356_122_401;

export interface AppliedMigration {
  version: string;
  name: string;
  checksum: string;
  applied_at: string;
}

export async function lockMigrations(tx: Queryable): Promise<void> {
  await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
}

export async function ensureHistoryTable(tx: Queryable): Promise<void> {
  await tx.exec(`
    create schema if not exists veloready;
    create table if not exists ${HISTORY_TABLE} (
      version text primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    );
    create table if not exists ${REPAIR_LOG_TABLE} (
      id bigint generated always as identity primary key,
      version text not null,
      status text not null check (status in ('applied', 'reverted')),
      checksum text,
      repaired_by text not null,
      database_user text not null default current_user,
      repaired_at timestamptz not null default now()
    );`);
}

export async function readHistory(q: Queryable): Promise<AppliedMigration[]> {
  const exists = await q.query<{ t: string | null }>(`select to_regclass($1)::text as t`, [HISTORY_TABLE]);
  if (!exists.rows[0]?.t) return [];
  const { rows } = await q.query<AppliedMigration>(
    `select version, name, checksum, to_char(applied_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as applied_at
       from ${HISTORY_TABLE} order by length(version), version`,
  );
  return rows;
}

/** The newest applied migration's version ('0' when none). */
export async function newestAppliedVersion(q: Queryable): Promise<string> {
  const history = await readHistory(q);
  return history.map((h) => h.version).sort().pop() ?? '0';
}

export async function isApplied(tx: Queryable, version: string): Promise<boolean> {
  const { rows } = await tx.query(`select 1 from ${HISTORY_TABLE} where version = $1`, [version]);
  return rows.length > 0;
}

/** Records a migration, and in Supabase's own history too when the database has one. */
export async function recordApplied(tx: Queryable, m: MigrationFile, statements: string[]): Promise<void> {
  await tx.query(`insert into ${HISTORY_TABLE} (version, name, checksum) values ($1, $2, $3)`, [m.version, m.name, m.checksum]);
  await recordSupabaseApplied(tx, m, statements);
}

/**
 * `db repair --status applied`: the file's current checksum becomes the recorded one (a drifted
 * row is accepted as it now is), in both histories; logged with who did it.
 */
export async function repairApplied(tx: Queryable, m: MigrationFile, by: string): Promise<void> {
  await tx.query(
    `insert into ${HISTORY_TABLE} (version, name, checksum) values ($1, $2, $3)
       on conflict (version) do update set name = excluded.name, checksum = excluded.checksum`,
    [m.version, m.name, m.checksum],
  );
  await recordSupabaseApplied(tx, m, splitForSupabase(m.script));
  await tx.query(`insert into ${REPAIR_LOG_TABLE} (version, status, checksum, repaired_by) values ($1, 'applied', $2, $3)`, [m.version, m.checksum, by]);
}

/** `db repair --status reverted`: the version is no longer recorded as applied, in both histories. */
export async function repairReverted(tx: Queryable, version: string, by: string): Promise<void> {
  await tx.query(`delete from ${HISTORY_TABLE} where version = $1`, [version]);
  if (await hasSupabaseHistory(tx)) await tx.query(`delete from ${SUPABASE_HISTORY_TABLE} where version = $1`, [version]);
  await tx.query(`insert into ${REPAIR_LOG_TABLE} (version, status, repaired_by) values ($1, 'reverted', $2)`, [version, by]);
}

function splitForSupabase(script: string): string[] {
  return splitStatements(script).filter((s) => !isTransactionControl(s.text)).map((s) => s.text);
}

async function hasSupabaseHistory(tx: Queryable): Promise<boolean> {
  const { rows } = await tx.query<{ t: string | null }>(`select to_regclass($1)::text as t`, [SUPABASE_HISTORY_TABLE]);
  return Boolean(rows[0]?.t);
}

async function recordSupabaseApplied(tx: Queryable, m: MigrationFile, statements: string[]): Promise<void> {
  const { rows } = await tx.query<{ column_name: string }>(
    `select column_name from information_schema.columns
      where table_schema = 'supabase_migrations' and table_name = 'schema_migrations'`,
  );
  const columns = new Set(rows.map((r) => r.column_name));
  if (!columns.has('version')) return;
  const names = ['version'];
  const values: unknown[] = [m.version];
  if (columns.has('name')) {
    names.push('name');
    values.push(m.name);
  }
  if (columns.has('statements')) {
    names.push('statements');
    values.push(statements);
  }
  const placeholders = values.map((_, i) => `$${i + 1}`).join(', ');
  await tx.query(
    `insert into ${SUPABASE_HISTORY_TABLE} (${names.join(', ')}) values (${placeholders}) on conflict (version) do nothing`,
    values,
  );
}
