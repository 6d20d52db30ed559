import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../util/package-root.js';
import { listMigrationFiles } from '../migration-files.js';
import { authShimScript } from '../shim.js';
import type { Platform } from './diff.js';
import { pgliteVersion } from './scratch.js';
import type { SchemaSnapshot } from './snapshot.js';

/**
 * What the shipped migrations create, taken ahead of time and shipped in the package, so `db diff`
 * on the shipped schema needs no scratch database, first run included. test/db/diff.test.ts keeps
 * it current (`UPDATE_SHIPPED_CATALOG=1` rewrites it).
 */
export const SHIPPED_CATALOG_FILE = join(packageRoot(), 'src', 'db', 'diff', 'shipped-catalog.json');
/** snapshot.ts's source, present in a checkout only (the published package ships dist/). */
const SNAPSHOT_SOURCE = join(packageRoot(), 'src', 'db', 'diff', 'snapshot.ts');

export interface ShippedCatalog {
  /** catalogKey() of the folder it was taken from. */
  key: string;
  /** SHA-256 of snapshot.ts that took it. */
  snapshotSource: string;
  platforms: Record<Platform, SchemaSnapshot>;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** What a catalog depends on besides the code: the shim, every migration file (name and bytes), the PGlite version. */
export function catalogKey(dir: string): string {
  const hash = createHash('sha256').update(authShimScript()).update(pgliteVersion());
  for (const f of listMigrationFiles(dir)) hash.update(f.file).update(f.checksum);
  return hash.digest('hex');
}

/** Undefined outside a checkout. */
export function snapshotSourceHash(): string | undefined {
  try {
    return sha256(readFileSync(SNAPSHOT_SOURCE));
  } catch {
    return undefined;
  }
}

/**
 * The shipped catalog's schema for `platform` when it was taken from exactly the files in `dir`
 * (the shipped folder, or a project's copy of it) with this PGlite and, in a checkout, this
 * snapshot.ts; else undefined (the caller migrates a scratch database).
 */
export function shippedCatalogSchema(dir: string, platform: Platform): SchemaSnapshot | undefined {
  let catalog: ShippedCatalog;
  try {
    catalog = JSON.parse(readFileSync(SHIPPED_CATALOG_FILE, 'utf8')) as ShippedCatalog;
  } catch {
    return undefined;
  }
  if (catalog.key !== catalogKey(dir)) return undefined;
  const source = snapshotSourceHash();
  if (source !== undefined && source !== catalog.snapshotSource) return undefined;
  return catalog.platforms[platform];
}
