import { VeloError } from '../errors.js';
import {
  ensureHistoryTable,
  isApplied,
  lockMigrations,
  readHistory,
  recordApplied,
  type AppliedMigration,
} from './history.js';
import { migrationFailed } from './migration-error.js';
import { compareVersions, ignoredMigrationFiles, listMigrationFiles, type MigrationFile } from './migration-files.js';
import { defaultMigrationsDir } from './paths.js';
import { detectAuth, ensureAuthShim, type AuthState } from './shim.js';
import { isTransactionControl, splitStatements } from './sql-split.js';
import type { Queryable, Sql } from './sql.js';

export type MigrationState = 'applied' | 'pending' | 'drifted' | 'missing';

export interface MigrationStatusRow {
  version: string;
  name: string;
  file: string | null;
  state: MigrationState;
  appliedAt: string | null;
}

export interface MigrationStatus {
  dir: string;
  auth: AuthState;
  rows: MigrationStatusRow[];
  /** Files of the folder whose names are not `<version>_<name>.sql`. */
  ignored: string[];
}

/** Whether CI should fail: anything pending, drifted or missing. */
export function statusNeedsAttention(rows: MigrationStatusRow[]): boolean {
  return rows.some((r) => r.state !== 'applied');
}

export interface MigrateOptions {
  /** Folder of `<version>_<name>.sql` files; the shipped VeloReady schema by default. */
  dir?: string;
  /** List what would run; change nothing. */
  dryRun?: boolean;
  /** Apply up to and including this version. */
  to?: string;
  /** Run even when applied files changed or disappeared. */
  allowDrift?: boolean;
  /** Apply the local auth shim when the database has no auth schema (default true). */
  authShim?: boolean;
}

export interface MigrateResult {
  dir: string;
  auth: AuthState;
  authShimApplied: boolean;
  /** Applied by this run (or, with dryRun, that would be). */
  applied: MigrationFile[];
  /** Pending, but applied by a concurrent run while this one waited for the lock. */
  skipped: MigrationFile[];
  dryRun: boolean;
}

/** Applied / pending / drifted / missing for every file and every history row. */
export async function migrationStatus(q: Queryable, dir: string = defaultMigrationsDir()): Promise<MigrationStatus> {
  const files = listMigrationFiles(dir);
  const history = await readHistory(q);
  return { dir, auth: await detectAuth(q), rows: compareHistory(files, history), ignored: ignoredMigrationFiles(dir) };
}

export function compareHistory(files: MigrationFile[], history: AppliedMigration[]): MigrationStatusRow[] {
  const byVersion = new Map(files.map((f) => [f.version, f]));
  const rows: MigrationStatusRow[] = [];
  for (const h of history) {
    const file = byVersion.get(h.version);
    const state: MigrationState = !file ? 'missing' : file.checksum === h.checksum ? 'applied' : 'drifted';
    rows.push({ version: h.version, name: h.name, file: file?.file ?? null, state, appliedAt: h.applied_at });
  }
  const applied = new Set(history.map((h) => h.version));
  for (const f of files) {
    if (!applied.has(f.version)) rows.push({ version: f.version, name: f.name, file: f.file, state: 'pending', appliedAt: null });
  }
  return rows.sort((a, b) => compareVersions(a.version, b.version));
}

function refuseDrift(rows: MigrationStatusRow[], dir: string): void {
  const bad = rows.filter((r) => r.state === 'drifted' || r.state === 'missing');
  if (bad.length === 0) return;
  const lines = bad.map((r) =>
    r.state === 'drifted'
      ? `${r.file} changed since it was applied (checksum differs)`
      : `${r.version}_${r.name}.sql was applied but is missing from ${dir}`,
  );
  throw new VeloError(
    'MIGRATION_DRIFT',
    `Applied migrations do not match the files:\n  ${lines.join('\n  ')}`,
    'Restore the applied files (write a new migration for changes), or pass --allow-drift to run anyway.',
  );
}

/**
 * Applies pending migrations in version order, each in its own transaction under an advisory
 * lock: a concurrent run waits, then finds the version recorded and skips it.
 */
export async function migrate(sql: Sql, options: MigrateOptions = {}): Promise<MigrateResult> {
  const dir = options.dir ?? defaultMigrationsDir();
  const dryRun = options.dryRun ?? false;
  const files = listMigrationFiles(dir);
  if (options.to !== undefined && !files.some((f) => f.version === options.to)) {
    throw new VeloError('MIGRATION_UNKNOWN_VERSION', `--to ${options.to}: no migration with that version in ${dir}.`, 'Run `veloready db status` to list versions.', 2);
  }
  const history = await readHistory(sql);
  const rows = compareHistory(files, history);
  if (!options.allowDrift) refuseDrift(rows, dir);
  const pendingVersions = new Set(rows.filter((r) => r.state === 'pending').map((r) => r.version));
  const pending = files.filter(
    (f) => pendingVersions.has(f.version) && (options.to === undefined || compareVersions(f.version, options.to) <= 0),
  );

  let auth = await detectAuth(sql);
  let authShimApplied = false;
  if (dryRun) return { dir, auth, authShimApplied, applied: pending, skipped: [], dryRun };

  await sql.transaction(async (tx) => {
    await lockMigrations(tx);
    await ensureHistoryTable(tx);
    if (options.authShim ?? true) {
      const shim = await ensureAuthShim(tx);
      auth = shim.applied ? 'shim' : shim.state;
      authShimApplied = shim.applied;
    }
  });

  const applied: MigrationFile[] = [];
  const skipped: MigrationFile[] = [];
  for (const m of pending) {
    const ran = await sql.transaction(async (tx) => {
      await lockMigrations(tx);
      if (await isApplied(tx, m.version)) return false;
      // The file's own BEGIN/COMMIT would end this transaction early: the runner owns it.
      const statements = splitStatements(m.script).filter((s) => !isTransactionControl(s.text));
      for (const statement of statements) {
        try {
          await tx.exec(statement.text);
        } catch (err) {
          throw migrationFailed(m.file, statement, err, history.length === 0);
        }
      }
      await recordApplied(tx, m, statements.map((s) => s.text));
      return true;
    });
    (ran ? applied : skipped).push(m);
  }
  return { dir, auth, authShimApplied, applied, skipped, dryRun };
}
