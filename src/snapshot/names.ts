import { isAbsolute, join, resolve } from 'node:path';
import { usageError } from '../errors.js';

export const SNAPSHOTS_DIR = 'snapshots';
export const SNAPSHOT_EXT = '.tar.gz';
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function snapshotsDir(dataDir: string): string {
  return join(dataDir, SNAPSHOTS_DIR);
}

/** `<dataDir>/snapshots/NAME.tar.gz`, or `file` (resolved against cwd) when given. */
export function snapshotPath(dataDir: string, name: string | undefined, file?: string, cwd = process.cwd()): string {
  if (file) return isAbsolute(file) ? file : resolve(cwd, file);
  if (!name) throw usageError('SNAPSHOT_NAME_REQUIRED', 'name the snapshot, or give --file PATH', 'e.g. veloready snapshot save before-refresh-bug');
  if (!NAME_RE.test(name) || name.endsWith(SNAPSHOT_EXT)) {
    throw usageError('INVALID_SNAPSHOT_NAME', `invalid snapshot name "${name}"`, 'use letters, digits, ".", "_" and "-" (up to 64), without .tar.gz');
  }
  return join(snapshotsDir(dataDir), `${name}${SNAPSHOT_EXT}`);
}
