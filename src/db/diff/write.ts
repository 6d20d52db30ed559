import { createMigrationFile } from '../new-migration.js';
import { differenceId, type SchemaDifference } from './compare.js';

export interface WrittenMigration {
  path: string;
  /** Differences whose SQL is in the file. */
  written: SchemaDifference[];
  /** Differences that need a hand-written change (listed in the file as comments too). */
  manual: SchemaDifference[];
}

/** The migration text: the mechanical fixes, then the rest as comments to write by hand. */
export function migrationForDifferences(differences: SchemaDifference[], target: string): { body: string; written: SchemaDifference[]; manual: SchemaDifference[] } {
  const written = differences.filter((d) => d.fix);
  const manual = differences.filter((d) => !d.fix);
  const lines = [
    `-- Written by \`veloready db diff --write\`: brings the migrations in line with ${target}.`,
    '-- Every statement is idempotent: this file also runs on that database, which already has these changes.',
  ];
  for (const d of written) lines.push('', `-- ${differenceId(d)}`, d.fix!);
  if (manual.length > 0) {
    lines.push('', '-- Needs a hand-written change (not mechanical):');
    for (const d of manual) {
      lines.push(`--   ${differenceId(d)}${d.expected ? `; expected: ${d.expected}` : ''}${d.found ? `; found: ${d.found}` : ''}`.replace(/\n/g, ' '));
    }
  }
  return { body: lines.join('\n') + '\n', written, manual };
}

/** `db diff --write NAME`: creates `<version>_<name>.sql` in `dir` (`db new` naming). */
export function writeDifferencesMigration(dir: string, name: string, differences: SchemaDifference[], target: string, now: Date): WrittenMigration {
  const { body, written, manual } = migrationForDifferences(differences, target);
  return { path: createMigrationFile(dir, name, now, body), written, manual };
}
