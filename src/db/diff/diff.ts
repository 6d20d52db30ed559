import { migrate } from '../migrate.js';
import { listMigrationFiles } from '../migration-files.js';
import type { Queryable } from '../sql.js';
import { compareSnapshots, type SchemaDifference } from './compare.js';
import { openScratchDatabase } from './scratch.js';
import { snapshotSchema, type SchemaSnapshot } from './snapshot.js';

export interface DiffOptions {
  /** The migrations folder. */
  dir: string;
  /** Migrate the scratch database only up to this version. */
  to?: string;
}

export interface DiffResult {
  dir: string;
  to: string | null;
  differences: SchemaDifference[];
}

/** What the migrations in `dir` (up to `to`) create, read from a scratch database. */
export async function expectedSchema(options: DiffOptions): Promise<SchemaSnapshot> {
  const scratch = await openScratchDatabase();
  try {
    await migrate(scratch, { dir: options.dir, ...(options.to !== undefined ? { to: options.to } : {}) });
    return await snapshotSchema(scratch);
  } finally {
    await scratch.close();
  }
}

/** `db diff`: the target's schema against what the migrations create. */
export async function diffAgainstMigrations(target: Queryable, options: DiffOptions): Promise<DiffResult> {
  const [expected, found] = [await expectedSchema(options), await snapshotSchema(target)];
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
