import { usageError } from '../errors.js';
import { closestVersion, diffAgainstMigrations, type VersionMatch } from './diff/diff.js';
import type { SchemaDifference } from './diff/compare.js';
import { ensureHistoryTable, lockMigrations, readHistory, recordApplied } from './history.js';
import { compareVersions, listMigrationFiles, type MigrationFile } from './migration-files.js';
import { isTransactionControl, splitStatements } from './sql-split.js';
import type { Queryable, Sql } from './sql.js';

export interface BaselineOptions {
  dir: string;
  /** Record every migration up to and including this version. */
  to: string;
  /** Record even when the schema differs from what those migrations create. */
  force?: boolean;
}

export interface BaselineResult {
  dir: string;
  to: string;
  /** Recorded as applied by this run (without running them). */
  recorded: MigrationFile[];
  /** Already in the history: left as they were. */
  alreadyRecorded: string[];
  /** Where the schema differs from what the migrations up to `to` create. */
  differences: SchemaDifference[];
  /** Differences were found and --force was not given: nothing recorded. */
  refused: boolean;
  forced: boolean;
}

/**
 * `db baseline --to VERSION`: adopts a database whose schema was made some other way (by hand,
 * another tool) by recording the migrations up to VERSION as applied, after checking that the
 * schema is what they create. Supabase's own history is kept in step, as migrate does.
 */
export async function baseline(sql: Sql, options: BaselineOptions): Promise<BaselineResult> {
  const files = listMigrationFiles(options.dir);
  if (!files.some((f) => f.version === options.to)) {
    throw usageError('MIGRATION_UNKNOWN_VERSION', `--to ${options.to}: no migration with that version in ${options.dir}.`, 'Run `veloready db status` to list versions.');
  }
  const { differences } = await diffAgainstMigrations(sql, { dir: options.dir, to: options.to });
  const forced = differences.length > 0 && Boolean(options.force);
  const base = { dir: options.dir, to: options.to, differences, forced };
  if (differences.length > 0 && !options.force) return { ...base, recorded: [], alreadyRecorded: [], refused: true };

  const upTo = files.filter((f) => compareVersions(f.version, options.to) <= 0);
  return sql.transaction(async (tx) => {
    await lockMigrations(tx);
    await ensureHistoryTable(tx);
    const recorded = new Set((await readHistory(tx)).map((h) => h.version));
    const toRecord = upTo.filter((f) => !recorded.has(f.version));
    for (const m of toRecord) {
      const statements = splitStatements(m.script).filter((s) => !isTransactionControl(s.text)).map((s) => s.text);
      await recordApplied(tx, m, statements);
    }
    return { ...base, recorded: toRecord, alreadyRecorded: upTo.filter((f) => recorded.has(f.version)).map((f) => f.version), refused: false };
  });
}

/** True when the database has tables of its own (outside Postgres', Supabase's and veloready's schemas). */
async function hasOwnTables(q: Queryable): Promise<boolean> {
  const { rows } = await q.query<{ n: number }>(
    `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname = 'public'`,
  );
  return (rows[0]?.n ?? 0) > 0;
}

/**
 * For `db status`: a database with tables but no veloready history was made another way; the
 * version whose schema it has (or the closest) is what `db baseline --to` should record.
 */
export async function baselineSuggestion(q: Queryable, dir: string): Promise<VersionMatch | undefined> {
  if ((await readHistory(q)).length > 0 || !(await hasOwnTables(q))) return undefined;
  return closestVersion(q, dir);
}
