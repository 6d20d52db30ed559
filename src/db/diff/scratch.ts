import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openPglite, type PgliteSql } from '../pglite.js';

/**
 * A scratch embedded database for `db diff` and `db baseline`: in memory (nothing on disk, nothing
 * left behind), started from a cached empty cluster, because PGlite's initdb takes ~5 s on this
 * class of machine while loading a cluster takes ~0.5 s. The cache is one file per PGlite build
 * in the OS temp folder; without it the first run pays initdb once and writes it.
 */
export const SCRATCH_CACHE_DIR = join(tmpdir(), 'veloready-scratch');
const SCRATCH_LABEL = 'scratch (in memory)';

function pglitePackageJson(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'package.json');
}

/** The installed PGlite's version (its Postgres deparses expressions the catalog is compared by). */
export function pgliteVersion(): string {
  return (JSON.parse(readFileSync(pglitePackageJson(), 'utf8')) as { version: string }).version;
}

/** Identifies the PGlite build: a cluster from another build may not load. */
export function pgliteBuildKey(): string {
  return `${pgliteVersion()}-${Math.round(statSync(pglitePackageJson()).mtimeMs)}`;
}

function templatePath(): string {
  return join(SCRATCH_CACHE_DIR, `empty-cluster-${pgliteBuildKey()}.tar`);
}

async function saveTemplate(db: PgliteSql, path: string): Promise<void> {
  try {
    const blob = await db.pglite.dumpDataDir('none');
    mkdirSync(dirname(path), { recursive: true });
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await blob.arrayBuffer()));
    renameSync(partial, path);
  } catch {
    // Only a cache: the next run initialises a cluster again.
    rmSync(`${path}.${process.pid}.partial`, { force: true });
  }
}

/** An empty, in-memory database; close() discards it. */
export async function openScratchDatabase(): Promise<PgliteSql> {
  const path = templatePath();
  if (existsSync(path)) {
    try {
      return await openPglite({ memory: true, loadDataDir: new Blob([readFileSync(path)]), relaxedDurability: true, label: SCRATCH_LABEL });
    } catch {
      rmSync(path, { force: true }); // unreadable: rebuilt below
    }
  }
  const db = await openPglite({ memory: true, relaxedDurability: true, label: SCRATCH_LABEL });
  await saveTemplate(db, path);
  return db;
}
