import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from '../migrate.js';
import { compareVersions, listMigrationFiles } from '../migration-files.js';
import { authShimScript, detectAuth } from '../shim.js';
import type { Queryable } from '../sql.js';
import { compareSnapshots, type SchemaDifference } from './compare.js';
import { openScratchDatabase, pgliteBuildKey, SCRATCH_CACHE_DIR } from './scratch.js';
import { shippedCatalogSchema } from './shipped-catalog.js';
import { snapshotCodeKey, snapshotSchema, type SchemaSnapshot } from './snapshot.js';

export interface DiffOptions {
  /** The migrations folder. */
  dir: string;
  /** Migrate the scratch database only up to this version. */
  to?: string;
  /**
   * What the scratch database stands in for: `local` (the auth shim's grants) or `supabase`
   * (Supabase's default privileges, `all` on public tables to anon, authenticated and
   * service_role), so a real project's grants are not all reported as differences.
   */
  platform?: Platform;
}

export type Platform = 'local' | 'supabase';

/** Supabase's default privileges on `public` (its `postgres` role's), on top of the shim's grants. */
const SUPABASE_DEFAULT_PRIVILEGES = `
  alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
  alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
  alter default privileges in schema public grant all on functions to anon, authenticated, service_role;`;

/** The platform a target database is: Supabase when it has Supabase's own auth. */
export async function platformOf(target: Queryable): Promise<Platform> {
  return (await detectAuth(target)) === 'supabase' ? 'supabase' : 'local';
}

export interface DiffResult {
  dir: string;
  to: string | null;
  differences: SchemaDifference[];
}

/**
 * Key of what a scratch database migrated with these files would look like: the shim, the files
 * up to `to` (names and bytes), the PGlite build and the snapshot code.
 */
function expectedKey(options: DiffOptions): string {
  const hash = createHash('sha256').update(authShimScript()).update(pgliteBuildKey()).update(snapshotCodeKey());
  if (options.platform === 'supabase') hash.update(SUPABASE_DEFAULT_PRIVILEGES);
  for (const f of listMigrationFiles(options.dir)) {
    if (options.to !== undefined && compareVersions(f.version, options.to) > 0) break;
    hash.update(f.file).update(f.checksum);
  }
  return hash.digest('hex').slice(0, 32);
}

/**
 * What the migrations in `dir` (up to `to`) create: from the shipped catalog when `dir` holds
 * exactly the shipped migrations, else read from a scratch database. That snapshot is kept beside
 * the scratch cluster, keyed by every input, so a repeat diff of unchanged migrations skips the
 * scratch database altogether.
 */
export async function expectedSchema(options: DiffOptions): Promise<SchemaSnapshot> {
  if (options.to === undefined) {
    const shipped = shippedCatalogSchema(options.dir, options.platform ?? 'local');
    if (shipped) return shipped;
  }
  const cached = join(SCRATCH_CACHE_DIR, `expected-${expectedKey(options)}.json`);
  try {
    return JSON.parse(readFileSync(cached, 'utf8')) as SchemaSnapshot;
  } catch {
    // not cached yet (or unreadable): built below
  }
  const snapshot = await scratchSchema(options);
  try {
    mkdirSync(SCRATCH_CACHE_DIR, { recursive: true });
    writeFileSync(`${cached}.${process.pid}`, JSON.stringify(snapshot));
    renameSync(`${cached}.${process.pid}`, cached);
  } catch {
    // only a cache
  }
  return snapshot;
}

/** What the migrations create, read from a scratch database just migrated (no cache). */
export async function scratchSchema(options: DiffOptions): Promise<SchemaSnapshot> {
  const scratch = await openScratchDatabase();
  try {
    await preparePlatform(scratch, options.platform ?? 'local');
    await migrate(scratch, { dir: options.dir, ...(options.to !== undefined ? { to: options.to } : {}) });
    return await snapshotSchema(scratch);
  } finally {
    await scratch.close();
  }
}

/** The shim (as migrate would apply it), plus Supabase's default privileges when standing in for Supabase. */
async function preparePlatform(scratch: Queryable, platform: Platform): Promise<void> {
  await scratch.exec(authShimScript());
  if (platform === 'supabase') await scratch.exec(SUPABASE_DEFAULT_PRIVILEGES);
}

/** `db diff`: the target's schema against what the migrations create. */
export async function diffAgainstMigrations(target: Queryable, options: DiffOptions): Promise<DiffResult> {
  const platform = options.platform ?? (await platformOf(target));
  const [expected, found] = [await expectedSchema({ ...options, platform }), await snapshotSchema(target)];
  return { dir: options.dir, to: options.to ?? null, differences: compareSnapshots(expected, found) };
}

export interface VersionMatch {
  version: string;
  /** 0 when the database is exactly what the migrations up to `version` create. */
  differences: number;
}

/**
 * The migration version whose schema the target has (or the closest: fewest differences), found
 * by migrating one scratch database a file at a time and comparing after each.
 */
export async function closestVersion(target: Queryable, dir: string): Promise<VersionMatch | undefined> {
  const files = listMigrationFiles(dir);
  if (files.length === 0) return undefined;
  const found = await snapshotSchema(target);
  const scratch = await openScratchDatabase();
  let best: VersionMatch | undefined;
  try {
    await preparePlatform(scratch, await platformOf(target));
    for (const f of files) {
      await migrate(scratch, { dir, to: f.version });
      const count = compareSnapshots(await snapshotSchema(scratch), found).length;
      if (!best || count <= best.differences) best = { version: f.version, differences: count };
    }
  } finally {
    await scratch.close();
  }
  return best;
}
