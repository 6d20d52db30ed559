import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { usageError, VeloError } from '../errors.js';

const NAME_RE = /^[a-z0-9][a-z0-9_]*$/;

/** `YYYYMMDDHHMMSS` in UTC, as `supabase migration new` names files. */
export function migrationVersion(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Creates `<dir>/<version>_<name>.sql` (empty but for a comment) and returns its path. */
export function createMigrationFile(dir: string, rawName: string, now: Date): string {
  const name = rawName.trim().toLowerCase().replace(/[\s-]+/g, '_');
  if (!NAME_RE.test(name)) {
    throw usageError('MIGRATION_BAD_NAME', `Invalid migration name ${JSON.stringify(rawName)}.`, 'Use letters, digits and underscores, e.g. add_gear_table.');
  }
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${migrationVersion(now)}_${name}.sql`);
  try {
    writeFileSync(path, `-- ${name}\n`, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    throw new VeloError('MIGRATION_EXISTS', `${path} already exists.`, 'Wait a second or pick another name.');
  }
  return path;
}
