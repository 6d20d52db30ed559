import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Sql } from '../../src/db/sql.js';
import { emptyPglite, freshPostgresDb, migratedPglite, migratedPostgres } from '../helpers/db.js';

/** One database engine the db tests run on: an empty database and a migrated one, each fresh. */
export interface Backend {
  name: string;
  empty(): Promise<{ sql: Sql; done(): Promise<void> }>;
  /** Migrated with the default migrations, or with those of `dir`. */
  migrated(dir?: string): Promise<{ sql: Sql; done(): Promise<void> }>;
}

export const pgliteBackend: Backend = {
  name: 'PGlite',
  async empty() {
    const sql = await emptyPglite();
    return { sql, done: () => sql.close() };
  },
  async migrated(dir) {
    const sql = await migratedPglite(dir);
    return { sql, done: () => sql.close() };
  },
};

export const postgresBackend: Backend = {
  name: 'Postgres',
  async empty() {
    const db = await freshPostgresDb();
    return { sql: db.sql, done: () => db.drop() };
  },
  async migrated(dir) {
    const db = await migratedPostgres(dir ? { dir } : {});
    return { sql: db.sql, done: () => db.drop() };
  },
};

export const HAS_POSTGRES = Boolean(process.env.DATABASE_URL);

export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');

/** A writable copy of a fixture migrations folder. */
export async function copyFixture(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `veloready-${name}-`));
  await cp(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

/**
 * Fresh databases of `backend` for the tests of one describe block: `open` gives one (migrated: with
 * the default migrations or `dir`'s), and each is closed (PGlite) or dropped (Postgres) after the
 * test that opened it.
 */
export function freshDatabases(backend: Backend): (kind: 'empty' | 'migrated', dir?: string) => Promise<Sql> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  return async (kind, dir) => {
    const db = kind === 'empty' ? await backend.empty() : await backend.migrated(dir);
    cleanups.push(db.done);
    return db.sql;
  };
}
