import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { usageError, VeloError } from '../errors.js';
import { MIGRATION_FILE_RE } from './migration-files.js';

const NAME_RE = /^[a-z0-9][a-z0-9_]*$/;
const VERSION_RE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const SECOND_MS = 1000;

/** `YYYYMMDDHHMMSS` in UTC, as `supabase migration new` names files. */
export function migrationVersion(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function versionTime(version: string): number | undefined {
  const m = VERSION_RE.exec(version);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/**
 * The version a new file gets: now, or one second after the folder's newest timestamp version
 * when that is not earlier, so two files created within one second still get distinct versions
 * in creation order.
 */
export function nextMigrationVersion(existing: string[], now: Date): string {
  let at = Math.floor(now.getTime() / SECOND_MS) * SECOND_MS;
  for (const v of existing) {
    const t = versionTime(v);
    if (t !== undefined && t >= at) at = t + SECOND_MS;
  }
  return migrationVersion(new Date(at));
}

export function normalizeMigrationName(rawName: string): string {
  const name = rawName.trim().toLowerCase().replace(/[\s-]+/g, '_');
  if (!NAME_RE.test(name)) {
    throw usageError('MIGRATION_BAD_NAME', `Invalid migration name ${JSON.stringify(rawName)}.`, 'Use letters, digits and underscores, e.g. add_gear_table.');
  }
  return name;
}

/** Creates `<dir>/<version>_<name>.sql` (with `body`, else a comment) and returns its path. */
export function createMigrationFile(dir: string, rawName: string, now: Date, body?: string): string {
  const name = normalizeMigrationName(rawName);
  mkdirSync(dir, { recursive: true });
  const versions = readdirSync(dir).flatMap((f) => {
    const m = MIGRATION_FILE_RE.exec(f);
    return m ? [m[1]!] : [];
  });
  const path = join(dir, `${nextMigrationVersion(versions, now)}_${name}.sql`);
  try {
    writeFileSync(path, body ?? `-- ${name}\n`, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    throw new VeloError('MIGRATION_EXISTS', `${path} already exists.`, 'Retry: the next run picks a later version.');
  }
  return path;
}
