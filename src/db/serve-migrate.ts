import { readHistory } from './history.js';
import { compareHistory, migrate } from './migrate.js';
import { ignoredMigrationFiles, listMigrationFiles, type MigrationFile } from './migration-files.js';
import type { ResolvedMigrationsDir } from './migrations-dir.js';
import type { Sql } from './sql.js';

export interface ServeMigration {
  migrations: ResolvedMigrationsDir;
  applied: MigrationFile[];
  /** Where the applied history and the folder disagree: what differs and how to fix it. */
  warnings: string[];
}

/**
 * `serve`'s migration: the same folder as every db command, pending files applied, and a
 * history that disagrees with the folder reported, never a reason to refuse or lose data.
 */
export async function migrateForServe(sql: Sql, migrations: ResolvedMigrationsDir): Promise<ServeMigration> {
  const { dir } = migrations;
  const rows = compareHistory(listMigrationFiles(dir), await readHistory(sql));
  const warnings: string[] = [];
  for (const r of rows) {
    if (r.state === 'drifted') {
      warnings.push(
        `${r.file} changed since it was applied (checksum differs); if the edit is deliberate: veloready db repair --status applied ${r.version} (else restore the file)`,
      );
    } else if (r.state === 'missing') {
      warnings.push(
        `${r.version}_${r.name}.sql is recorded as applied but is not in ${dir}; point serve at the folder that has it (VELOREADY_MIGRATIONS_DIR, or ./supabase/migrations in the project), or forget it: veloready db repair --status reverted ${r.version}`,
      );
    }
  }
  if (warnings.length > 0) warnings.push('serve kept the data and applied only the pending migrations; `veloready db status` lists them all');
  const ignored = ignoredMigrationFiles(dir);
  if (ignored.length > 0) warnings.push(`ignored in ${dir} (not named <version>_<name>.sql): ${ignored.join(', ')}`);
  const result = await migrate(sql, { dir, allowDrift: true });
  return { migrations, applied: result.applied, warnings };
}
