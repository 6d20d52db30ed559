import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { VeloError } from '../errors.js';

/** `<version>_<name>.sql`, as Supabase names them (version = YYYYMMDDHHMMSS). */
export const MIGRATION_FILE_RE = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_.-]*)\.sql$/;

export interface MigrationFile {
  version: string;
  name: string;
  file: string;
  path: string;
  /** sha256 hex of the file's bytes. */
  checksum: string;
  script: string;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The migration files of a folder, in version order. Other files are ignored. */
export function listMigrationFiles(dir: string): MigrationFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new VeloError(
      'MIGRATIONS_DIR_MISSING',
      `Cannot read the migrations folder ${dir}: ${(err as Error).message}`,
      'Pass an existing folder with --dir.',
      1,
      { cause: err },
    );
  }
  const files: MigrationFile[] = [];
  const seen = new Map<string, string>();
  for (const file of names.sort()) {
    const match = MIGRATION_FILE_RE.exec(file);
    if (!match) continue;
    const [, version, name] = match as unknown as [string, string, string];
    const other = seen.get(version);
    if (other) {
      throw new VeloError('MIGRATION_DUPLICATE_VERSION', `Two migrations share version ${version}: ${other} and ${file}.`, 'Rename one of them.');
    }
    seen.set(version, file);
    const path = join(dir, file);
    const bytes = readFileSync(path);
    files.push({ version, name, file, path, checksum: sha256Hex(bytes), script: bytes.toString('utf8') });
  }
  return files.sort((a, b) => compareVersions(a.version, b.version));
}

/**
 * Files of a migrations folder that are not migrations (their names don't match
 * `<version>_<name>.sql`): commands list them as ignored instead of skipping them silently.
 */
export function ignoredMigrationFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && !MIGRATION_FILE_RE.test(e.name))
    .map((e) => e.name)
    .sort();
}

/** Numeric order for digit strings of any length. */
export function compareVersions(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
