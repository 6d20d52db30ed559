/**
 * The data dir holds Strava tokens (in the database), the JWT secret and the blob token: it is the
 * user's alone. The directory is 0700, every file under it 0600, and files created later by this
 * process (PGlite's, SQLite's) are private too (umask 077).
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_UMASK = 0o077;

/**
 * Creates the data dir private, or makes an existing one private (once: a dir already 0700 is
 * taken as done, so opening it stays cheap), and sets this process's umask so new files are too.
 */
export function makeDataDirPrivate(dataDir: string): void {
  // Worker threads cannot set it (the main thread's applies to them).
  if (isMainThread) process.umask(PRIVATE_UMASK);
  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if ((lstatSync(dataDir).mode & 0o777) === PRIVATE_DIR_MODE) return;
  privateTree(dataDir);
}

/**
 * Every file under `path` 0600 and directory 0700. For PGlite's data directory, whose files its
 * file system layer creates 0666 whatever the umask: run after opening and after closing it (in
 * between, the 0700 data dir keeps everyone else out).
 */
export function privateTree(path: string): void {
  try {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    const wanted = stat.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
    // Only what differs: a cluster is ~1,000 files, and this runs at every open and close.
    if ((stat.mode & 0o777) !== wanted) chmodSync(path, wanted);
    if (stat.isDirectory()) for (const name of readdirSync(path)) privateTree(join(path, name));
  } catch (err) {
    // Gone meanwhile (a WAL segment recycled, a directory deleted after use): nothing to protect.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
