import { table } from '../cli/output.js';
import type { VersionMatch } from './diff/diff.js';
import type { MigrationStatus } from './migrate.js';

/** `db status` as text: the table, ignored files, and what to do about a database without history. */
export function renderStatus(status: MigrationStatus, baseline?: VersionMatch): string {
  const lines = [
    status.rows.length === 0
      ? `no migrations in ${status.dir}`
      : table(['VERSION', 'NAME', 'STATE', 'APPLIED AT'], status.rows.map((r) => [r.version, r.name, r.state, r.appliedAt ?? ''])),
  ];
  for (const f of status.ignored) lines.push(`ignored ${f} (not named <version>_<name>.sql)`);
  if (baseline) {
    lines.push('');
    if (baseline.differences === 0) {
      lines.push(
        `the database has tables but no veloready history; its schema is what the migrations up to ${baseline.version} create.`,
        `adopt it with: veloready db baseline --to ${baseline.version}`,
      );
    } else {
      lines.push(
        `the database has tables but no veloready history, and matches no migration version exactly (closest: ${baseline.version}, ${baseline.differences} difference(s)).`,
        `see them with: veloready db diff; then fix them, or veloready db baseline --to ${baseline.version} --force`,
      );
    }
  }
  return lines.join('\n');
}
