import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';

// tsc does not copy .sql files into dist/: migrations and the shim are read from the package's src/db.

/** The shipped VeloReady schema. */
export function defaultMigrationsDir(): string {
  return join(packageRoot(), 'src', 'db', 'migrations');
}

/** The local Supabase auth shim. */
export function authShimPath(): string {
  return join(packageRoot(), 'src', 'db', 'shim', 'auth_shim.sql');
}

/** The PGlite data directory inside a veloready data dir. */
export function pgliteDir(dataDir: string): string {
  return join(dataDir, 'pg');
}

export function pgLockPath(dataDir: string): string {
  return join(dataDir, 'pg.lock');
}

export function serveInfoPath(dataDir: string): string {
  return join(dataDir, 'serve.json');
}
