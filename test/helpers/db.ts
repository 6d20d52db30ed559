/**
 * The fast way for any test to get a migrated database.
 *
 *   const sql = await migratedPglite();          // fresh embedded DB with the VeloReady schema
 *   const pg = await migratedPostgres();         // fresh database on DATABASE_URL's server
 *   ... pg.sql, pg.url; await pg.drop();
 *
 * PGlite: the schema is migrated once per set of migration files (cached in os.tmpdir, keyed by a
 * hash of the migrations and the shim, built under a lock file so parallel vitest workers build it
 * once); each call copies that data dir and opens the copy. close() deletes the copy.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, type MigrateOptions } from '../../src/db/migrate.js';
import { authShimPath, defaultMigrationsDir, pgliteDir } from '../../src/db/paths.js';
import { openPg } from '../../src/db/pg.js';
import { openPglite, type PgliteSql } from '../../src/db/pglite.js';
import { isProcessAlive } from '../../src/db/process-alive.js';
import type { Sql } from '../../src/db/sql.js';
import { copyTree, removeTree } from './fs-tree.js';

const CACHE_ROOT = join(tmpdir(), 'veloready-test-db');
const READY_FILE = 'ready';
const POLL_MS = 100;
const BUILD_TIMEOUT_MS = 120_000;

/** Key of a template: the shim, the migration files (none for an empty cluster) and PGlite's version. */
function schemaKey(dir: string | null): string {
  const hash = createHash('sha256');
  hash.update(dir === null ? 'empty' : readFileSync(authShimPath()));
  if (dir !== null) {
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.sql')) continue;
      hash.update(file);
      hash.update(readFileSync(join(dir, file)));
    }
  }
  const pglitePkg = join(process.cwd(), 'node_modules', '@electric-sql', 'pglite', 'package.json');
  if (existsSync(pglitePkg)) hash.update(readFileSync(pglitePkg));
  return hash.digest('hex').slice(0, 16);
}

async function takeBuildLock(lockPath: string): Promise<boolean> {
  try {
    await writeFile(lockPath, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = Number(await readFile(lockPath, 'utf8').catch(() => ''));
    if (holder && !isProcessAlive(holder)) {
      await rm(lockPath, { force: true });
      return takeBuildLock(lockPath);
    }
    return false;
  }
}

/**
 * A template data dir built once per machine: migrated with these migrations, or, for null, an
 * empty cluster (initdb only, which is the slow part of a first open).
 */
export async function templateDataDir(migrationsDir: string | null = defaultMigrationsDir()): Promise<string> {
  const key = schemaKey(migrationsDir);
  const template = join(CACHE_ROOT, key);
  if (existsSync(join(template, READY_FILE))) return template;
  await mkdir(CACHE_ROOT, { recursive: true });
  const lockPath = `${template}.lock`;
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  while (!(await takeBuildLock(lockPath))) {
    if (existsSync(join(template, READY_FILE))) return template;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockPath}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  try {
    if (existsSync(join(template, READY_FILE))) return template;
    const build = `${template}.build-${process.pid}`;
    await rm(build, { recursive: true, force: true });
    const sql = await openPglite({ dataDir: build, skipLock: true });
    try {
      if (migrationsDir !== null) await migrate(sql, { dir: migrationsDir });
    } finally {
      await sql.close();
    }
    await writeFile(join(build, READY_FILE), new Date().toISOString());
    await rm(template, { recursive: true, force: true });
    await rename(build, template);
    return template;
  } finally {
    await rm(lockPath, { force: true });
  }
}

/** A throwaway veloready data dir (with `pg/` inside) holding a migrated copy (null: empty cluster). */
export async function migratedDataDir(migrationsDir?: string | null): Promise<string> {
  await mkdir(CACHE_ROOT, { recursive: true });
  return migratedInto(await mkdtemp(join(CACHE_ROOT, 'run-')), migrationsDir);
}

/** Puts a migrated copy (null: empty cluster) into the veloready data dir `dataDir`, which has no `pg/` yet. */
export async function migratedInto(dataDir: string, migrationsDir?: string | null): Promise<string> {
  const template = await templateDataDir(migrationsDir);
  await mkdir(dataDir, { recursive: true });
  await copyTree(pgliteDir(template), pgliteDir(dataDir));
  return dataDir;
}

/** A fresh embedded database with the VeloReady schema; close() also deletes its files. */
export async function migratedPglite(migrationsDir?: string | null): Promise<PgliteSql> {
  const dataDir = await migratedDataDir(migrationsDir);
  const sql = await openPglite({ dataDir, skipLock: true, relaxedDurability: true, pgtap: true });
  const close = sql.close.bind(sql);
  return Object.assign(sql, {
    async close(): Promise<void> {
      await close();
      await removeTree(dataDir);
    },
  });
}

/** An empty embedded database (no schema, no shim); close() also deletes its files. */
export async function emptyPglite(): Promise<PgliteSql> {
  return migratedPglite(null);
}

export interface PostgresTestDb {
  sql: Sql;
  /** URL of the new database (same server and user as DATABASE_URL). */
  url: string;
  /** Closes sql and drops the database. */
  drop(): Promise<void>;
}

let dbCounter = 0;

/** Creates a uniquely named empty database on DATABASE_URL's server. */
export async function freshPostgresDb(): Promise<PostgresTestDb> {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('freshPostgresDb needs DATABASE_URL');
  const name = `veloready_test_${process.pid}_${Date.now()}_${++dbCounter}`;
  const admin = await openPg(base, { maxConnections: 1 });
  try {
    await admin.exec(`create database ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  const sql = await openPg(url.toString());
  return {
    sql,
    url: url.toString(),
    async drop(): Promise<void> {
      await sql.close();
      const adminAgain = await openPg(base, { maxConnections: 1 });
      try {
        await adminAgain.exec(`drop database if exists ${name} with (force)`);
      } finally {
        await adminAgain.close();
      }
    },
  };
}

/** A fresh database on DATABASE_URL's server with the auth shim and the VeloReady schema. */
export async function migratedPostgres(options: MigrateOptions = {}): Promise<PostgresTestDb> {
  const db = await freshPostgresDb();
  try {
    await migrate(db.sql, options);
  } catch (err) {
    await db.drop();
    throw err;
  }
  return db;
}
