import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { baseline, baselineSuggestion } from '../../src/db/baseline.js';
import { compareSnapshots, differenceId, type SchemaDifference } from '../../src/db/diff/compare.js';
import { diffAgainstMigrations, expectedSchema, scratchSchema } from '../../src/db/diff/diff.js';
import { catalogKey, SHIPPED_CATALOG_FILE, shippedCatalogSchema, snapshotSourceHash, type ShippedCatalog } from '../../src/db/diff/shipped-catalog.js';
import type { SchemaSnapshot } from '../../src/db/diff/snapshot.js';
import { snapshotSchema } from '../../src/db/diff/snapshot.js';
import { migrationForDifferences } from '../../src/db/diff/write.js';
import { migrate, migrationStatus } from '../../src/db/migrate.js';
import { listMigrationFiles } from '../../src/db/migration-files.js';
import { defaultMigrationsDir } from '../../src/db/paths.js';
import { inRolledBackTransaction } from '../../src/db/rolled-back.js';
import { authShimScript } from '../../src/db/shim.js';
import type { Sql } from '../../src/db/sql.js';
import { runCli } from '../helpers/cli.js';
import { freshPostgresDb, migratedDataDir, migratedPglite } from '../helpers/db.js';
import { FIXTURES, HAS_POSTGRES, pgliteBackend, postgresBackend, type Backend } from './backends.js';

/**
 * The differences between the reference document's section 4 schema (fixtures/reference-schema)
 * and the shipped migrations, kept in one place beside docs/SCHEMA.md, which explains each.
 * `UPDATE_REFERENCE_DIFF=1` rewrites the list from what `db diff` finds (then review the change).
 */
const REFERENCE_DIFF_FILE = join(import.meta.dirname, '..', '..', 'docs', 'reference-schema-differences.json');
const REFERENCE_DIR = join(FIXTURES, 'reference-schema');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

let expected: SchemaSnapshot;
beforeAll(async () => {
  expected = await expectedSchema({ dir: defaultMigrationsDir() });
}, 120_000);

const ids = (differences: SchemaDifference[]): string[] => differences.map(differenceId).sort();

/** A database with the schema but no history: the shim, then each migration file run by hand. */
async function appliedByHand(sql: Sql): Promise<void> {
  await sql.exec(authShimScript());
  for (const f of listMigrationFiles(defaultMigrationsDir())) await sql.exec(f.script);
}

async function use(backend: Backend, kind: 'empty'): Promise<Sql> {
  const db = await backend[kind]();
  cleanups.push(db.done);
  return db.sql;
}

/** What a Supabase project has before any migration: its own auth, its history schema, its default privileges. */
const SUPABASE_LIKE = `
  do $$ declare r text; begin
    foreach r in array array['anon', 'authenticated', 'service_role'] loop
      if not exists (select 1 from pg_roles where rolname = r) then execute format('create role %I nologin', r); end if;
    end loop;
  end $$;
  create schema auth;
  create table auth.users (id uuid primary key);
  create function auth.uid() returns uuid language sql stable as $f$ select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $f$;
  create schema supabase_migrations;
  create table supabase_migrations.schema_migrations (version text primary key, statements text[], name text);
  grant usage on schema public to anon, authenticated, service_role;
  alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
  alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
  alter default privileges in schema public grant all on functions to anon, authenticated, service_role;`;

const backends = [pgliteBackend, ...(HAS_POSTGRES ? [postgresBackend] : [])];

describe.each(backends)('db diff on $name', (backend) => {
  // One migrated database for the hand-made changes below: each runs in a transaction rolled back after the snapshot.
  let migrated: { sql: Sql; done(): Promise<void> };
  beforeAll(async () => {
    migrated = await backend.migrated();
  }, 120_000);
  afterAll(async () => migrated?.done());

  /** The differences a change made by hand produces (the change is rolled back afterwards). */
  const afterChange = (change: string): Promise<SchemaDifference[]> =>
    inRolledBackTransaction(migrated.sql, async (tx) => {
      await tx.exec(change);
      return compareSnapshots(expected, await snapshotSchema(tx));
    });

  it('a freshly migrated database: nothing listed', async () => {
    expect(compareSnapshots(expected, await snapshotSchema(migrated.sql))).toEqual([]);
  });

  it.each([
    ['a policy dropped by hand', 'drop policy activities_select_own on public.activities', 'public.activities: missing policy activities_select_own'],
    ['an index dropped', 'drop index public.idx_activities_athlete_date', 'public.activities: missing index idx_activities_athlete_date'],
    ['RLS disabled', 'alter table public.athletes disable row level security', 'public.athletes: changed rls row level security'],
    ['a column type changed', 'alter table public.activities alter column moving_time type bigint', 'public.activities: changed column moving_time'],
  ])('%s is named', async (_what, change, id) => {
    expect(ids(await afterChange(change))).toEqual([id]);
  });

  it('a column type change shows expected vs found; a grant revoked too', async () => {
    const differences = await afterChange('alter table public.activities alter column moving_time type bigint; revoke delete on public.activities from authenticated');
    expect(differences).toContainEqual(expect.objectContaining({ object: 'column', name: 'moving_time', expected: 'integer not null default 0', found: 'bigint not null default 0' }));
    expect(differences).toContainEqual(expect.objectContaining({ object: 'grant', name: 'authenticated', expected: 'delete, select', found: 'select' }));
  });

  it('the reference schema applied by hand: exactly the documented differences; baseline refuses naming them', async () => {
    let sql: Sql;
    if (backend === pgliteBackend) {
      const pglite = await migratedPglite(REFERENCE_DIR);
      cleanups.push(() => pglite.close());
      sql = pglite;
    } else {
      const db = await freshPostgresDb();
      cleanups.push(() => db.drop());
      await migrate(db.sql, { dir: REFERENCE_DIR });
      sql = db.sql;
    }
    // The fixture's own history row would make it look adopted: it was applied "by hand".
    await sql.exec('drop schema veloready cascade');
    const found = ids(compareSnapshots(expected, await snapshotSchema(sql)));
    if (process.env.UPDATE_REFERENCE_DIFF) {
      const doc = JSON.parse(readFileSync(REFERENCE_DIFF_FILE, 'utf8')) as Record<string, unknown>;
      writeFileSync(REFERENCE_DIFF_FILE, JSON.stringify({ ...doc, differences: found }, null, 2) + '\n');
    }
    const documented = (JSON.parse(readFileSync(REFERENCE_DIFF_FILE, 'utf8')) as { differences: string[] }).differences;
    expect(found).toEqual([...documented].sort());

    const last = listMigrationFiles(defaultMigrationsDir()).at(-1)!.version;
    const refused = await baseline(sql as Sql, { dir: defaultMigrationsDir(), to: last });
    expect(refused.refused).toBe(true);
    expect(ids(refused.differences)).toEqual(found);
    expect((await migrationStatus(sql, defaultMigrationsDir())).rows.every((r) => r.state === 'pending')).toBe(true);
  }, 60_000);

  it('a database made by applying the files by hand: status suggests baseline, baseline records, migrate runs nothing', async () => {
    const sql = await use(backend, 'empty');
    await appliedByHand(sql);
    const files = listMigrationFiles(defaultMigrationsDir());
    const last = files.at(-1)!.version;
    // migrate alone fails on the first "already exists" and says to baseline instead.
    await expect(migrate(sql as Sql, { dir: defaultMigrationsDir() })).rejects.toMatchObject({
      code: 'MIGRATION_FAILED',
      hint: expect.stringContaining('veloready db baseline --to VERSION'),
    });
    expect(await baselineSuggestion(sql, defaultMigrationsDir())).toEqual({ version: last, differences: 0 });

    const adopted = await baseline(sql as Sql, { dir: defaultMigrationsDir(), to: last });
    expect([adopted.refused, adopted.forced, adopted.recorded.map((m) => m.version)]).toEqual([false, false, files.map((f) => f.version)]);
    const again = await migrate(sql as Sql, { dir: defaultMigrationsDir() });
    expect(again.applied).toEqual([]);
    const status = await migrationStatus(sql, defaultMigrationsDir());
    expect(status.rows.map((r) => r.state)).toEqual(files.map(() => 'applied'));
    expect(await baselineSuggestion(sql, defaultMigrationsDir())).toBeUndefined();
  }, 60_000);

  it('on a Supabase-like database (its own auth, default privileges `all`): nothing listed after migrate', async () => {
    const sql = await use(backend, 'empty');
    await sql.exec(SUPABASE_LIKE);
    await migrate(sql as Sql, { dir: defaultMigrationsDir() });
    expect((await diffAgainstMigrations(sql, { dir: defaultMigrationsDir() })).differences).toEqual([]);
    // Compared as if it were a local database, Supabase's grants would all be differences.
    const asLocal = await diffAgainstMigrations(sql, { dir: defaultMigrationsDir(), platform: 'local' });
    expect(asLocal.differences.length).toBeGreaterThan(0);
    expect(asLocal.differences.every((d) => d.object === 'grant')).toBe(true);
  }, 60_000);

  it('baseline keeps Supabase\'s own history table in step', async () => {
    const sql = await use(backend, 'empty');
    await appliedByHand(sql);
    await sql.exec('create schema supabase_migrations; create table supabase_migrations.schema_migrations (version text primary key, name text, statements text[])');
    const first = listMigrationFiles(defaultMigrationsDir())[0]!;
    const partial = await baseline(sql as Sql, { dir: defaultMigrationsDir(), to: first.version, force: true });
    expect(partial.forced).toBe(true);
    const { rows } = await sql.query<{ version: string; name: string }>('select version, name from supabase_migrations.schema_migrations');
    expect(rows).toEqual([{ version: first.version, name: first.name }]);
  }, 60_000);
});

describe('db diff --write', () => {
  it('the written migration, applied after the others, makes the migrations create the live schema', async () => {
    const sql = await migratedPglite();
    cleanups.push(() => sql.close());
    await sql.exec(`
      alter table public.activities add column gear_id text default 'none' not null;
      create index activities_type_idx on public.activities (type);
      drop policy activities_delete_own on public.activities;
      create policy activities_read_any on public.activities for select to anon using (true);
      alter table public.athletes force row level security;
      alter table public.activities alter column name drop not null;
      grant truncate on public.athletes to service_role;`);
    const differences = compareSnapshots(expected, await snapshotSchema(sql));
    const { body, written, manual } = migrationForDifferences(differences, 'test');
    expect(manual).toEqual([]);
    expect(written).toHaveLength(differences.length);
    // Idempotent: it also runs on the live database, which already has every change.
    await sql.exec(body);
    expect(ids(compareSnapshots(expected, await snapshotSchema(sql)))).toEqual(ids(differences));
    // The migrations plus the written one now create exactly the live schema.
    const scratch = await migratedPglite();
    cleanups.push(() => scratch.close());
    await scratch.exec(body);
    expect(compareSnapshots(await snapshotSchema(scratch), await snapshotSchema(sql))).toEqual([]);
  }, 60_000);

  it('what is not mechanical is listed as needing a hand-written change', async () => {
    const sql = await migratedPglite();
    cleanups.push(() => sql.close());
    await sql.exec('alter table public.activities alter column moving_time type bigint; create table public.gear (id int primary key)');
    const { body, manual } = migrationForDifferences(compareSnapshots(expected, await snapshotSchema(sql)), 'test');
    expect(ids(manual)).toEqual(['public.activities: changed column moving_time', 'public.gear: extra table gear']);
    expect(body).toContain('-- Needs a hand-written change');
    expect(body).toContain('--   public.gear: extra table gear');
  }, 60_000);
});

describe('db diff end to end', () => {
  it('diffAgainstMigrations on a freshly migrated embedded database finds nothing', async () => {
    const sql = await migratedPglite();
    cleanups.push(() => sql.close());
    const result = await diffAgainstMigrations(sql, { dir: defaultMigrationsDir() });
    expect(result.differences).toEqual([]);
  }, 60_000);
});

describe('the shipped catalog', () => {
  it('is what the shipped migrations create on a scratch database, per platform (UPDATE_SHIPPED_CATALOG=1 rewrites it)', async () => {
    const dir = defaultMigrationsDir();
    const fresh: ShippedCatalog = {
      key: catalogKey(dir),
      snapshotSource: snapshotSourceHash()!,
      platforms: { local: await scratchSchema({ dir, platform: 'local' }), supabase: await scratchSchema({ dir, platform: 'supabase' }) },
    };
    if (process.env.UPDATE_SHIPPED_CATALOG) writeFileSync(SHIPPED_CATALOG_FILE, JSON.stringify(fresh, null, 1) + '\n');
    expect(JSON.parse(readFileSync(SHIPPED_CATALOG_FILE, 'utf8'))).toEqual(fresh);
  }, 120_000);

  it('stands in only for exactly the shipped files: a project copy uses it, one more migration is migrated on a scratch database', async () => {
    const project = await mkdtemp(join(tmpdir(), 'vr-catalog-'));
    cleanups.push(() => rm(project, { recursive: true, force: true }));
    cpSync(defaultMigrationsDir(), project, { recursive: true });
    expect(shippedCatalogSchema(project, 'local')).toEqual(shippedCatalogSchema(defaultMigrationsDir(), 'local'));
    expect(shippedCatalogSchema(project, 'local')?.tables['public.athletes']).toBeDefined();
    writeFileSync(join(project, '20990101000000_gear.sql'), 'create table public.gear (id bigint primary key);\n');
    expect(shippedCatalogSchema(project, 'local')).toBeUndefined();
    expect((await expectedSchema({ dir: project })).tables['public.gear']).toBeDefined();
  }, 120_000);

  it('db diff on the shipped schema opens no scratch database, first run included', async () => {
    const dataDir = await migratedDataDir();
    const tmp = await mkdtemp(join(tmpdir(), 'vr-diff-tmp-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }), () => rm(tmp, { recursive: true, force: true }));
    const run = await runCli(['db', 'diff', '--data-dir', dataDir, '--json'], { env: { TMPDIR: tmp } });
    expect([run.exitCode, JSON.parse(run.stdout).equal]).toEqual([0, true]);
    // No empty cluster and no expected schema were made for it in the OS temp folder.
    expect(readdirSync(tmp)).toEqual([]);
  }, 60_000);
});
