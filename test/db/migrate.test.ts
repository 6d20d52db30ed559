import { readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VeloError } from '../../src/errors.js';
import { migrate, migrationStatus } from '../../src/db/migrate.js';
import { defaultMigrationsDir } from '../../src/db/paths.js';
import type { Sql } from '../../src/db/sql.js';
import { copyFixture, FIXTURES, HAS_POSTGRES, pgliteBackend, postgresBackend, type Backend } from './backends.js';

const SHIPPED_TABLES = [
  'activities',
  'activity_streams',
  'athletes',
  'auth_sessions',
  'backfill_jobs',
  'refresh_tokens',
  'strava_webhook_events',
];

async function publicTables(sql: Sql): Promise<Array<{ name: string; rls: boolean }>> {
  const { rows } = await sql.query<{ name: string; rls: boolean }>(
    `select c.relname as name, c.relrowsecurity as rls from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' order by 1`,
  );
  return rows;
}

async function historyVersions(sql: Sql): Promise<string[]> {
  const { rows } = await sql.query<{ version: string }>('select version from veloready.schema_migrations order by version');
  return rows.map((r) => r.version);
}

async function caught(p: Promise<unknown>): Promise<VeloError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(VeloError);
    return err as VeloError;
  }
  throw new Error('expected a VeloError');
}

function defineMigrateTests(backend: Backend): void {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  async function empty(): Promise<Sql> {
    const db = await backend.empty();
    cleanups.push(db.done);
    return db.sql;
  }

  it('a fresh migrate creates the auth shim and every table of docs/SCHEMA.md with RLS on', async () => {
    const sql = await empty();
    const result = await migrate(sql);
    expect(result.authShimApplied).toBe(true);
    expect(result.applied.map((m) => m.file)).toEqual([
      '20260101000000_athletes_activities.sql',
      '20260101000100_sessions_refresh_tokens.sql',
      '20260101000200_backfill_jobs.sql',
      '20260101000300_strava_webhook_events.sql',
      '20261130000000_auth_sessions_revoked_at.sql',
      '20261203000000_activity_streams_per_type.sql',
      '20261203000100_athletes_service_owned.sql',
      '20261203000200_activities_service_owned.sql',
    ]);
    expect(await publicTables(sql)).toEqual(SHIPPED_TABLES.map((name) => ({ name, rls: true })));
    const { rows } = await sql.query<{ version: string; name: string; checksum: string }>(
      'select version, name, checksum from veloready.schema_migrations order by version',
    );
    const first = await readFile(join(defaultMigrationsDir(), '20260101000000_athletes_activities.sql'));
    expect(rows[0]).toEqual({
      version: '20260101000000',
      name: 'athletes_activities',
      checksum: createHash('sha256').update(first).digest('hex'),
    });
    const roles = await sql.query<{ rolname: string; rolbypassrls: boolean }>(
      `select rolname, rolbypassrls from pg_roles where rolname in ('anon', 'authenticated', 'service_role') order by 1`,
    );
    expect(roles.rows).toEqual([
      { rolname: 'anon', rolbypassrls: false },
      { rolname: 'authenticated', rolbypassrls: false },
      { rolname: 'service_role', rolbypassrls: true },
    ]);
  });

  it('a second migrate is a no-op', async () => {
    const sql = await empty();
    await migrate(sql);
    const before = await sql.query('select version, applied_at from veloready.schema_migrations order by 1');
    const again = await migrate(sql);
    expect(again.applied).toEqual([]);
    expect(again.authShimApplied).toBe(false);
    expect((await sql.query('select version, applied_at from veloready.schema_migrations order by 1')).rows).toEqual(before.rows);
  });

  it('--dry-run lists pending files and changes nothing; --to stops early', async () => {
    const sql = await empty();
    const dir = join(FIXTURES, 'migrations-ok');
    const dry = await migrate(sql, { dir, dryRun: true });
    expect(dry.applied.map((m) => m.version)).toEqual(['20250101000000', '20250102000000', '20250103000000']);
    const schema = await sql.query(`select to_regclass('veloready.schema_migrations')::text as t, to_regclass('auth.users')::text as u`);
    expect(schema.rows[0]).toEqual({ t: null, u: null });
    await migrate(sql, { dir, to: '20250102000000' });
    expect(await historyVersions(sql)).toEqual(['20250101000000', '20250102000000']);
    const status = await migrationStatus(sql, dir);
    expect(status.rows.map((r) => r.state)).toEqual(['applied', 'applied', 'pending']);
  });

  it('refuses to run when an applied file changed, naming it, unless --allow-drift', async () => {
    const sql = await empty();
    const dir = await copyFixture('migrations-ok');
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await migrate(sql, { dir, to: '20250102000000' });
    await writeFile(join(dir, '20250101000000_gear.sql'), '-- edited after it was applied\n', { flag: 'a' });
    const err = await caught(migrate(sql, { dir }));
    expect(err.code).toBe('MIGRATION_DRIFT');
    expect(err.message).toContain('20250101000000_gear.sql changed since it was applied');
    expect(await historyVersions(sql)).toEqual(['20250101000000', '20250102000000']);
    expect((await migrationStatus(sql, dir)).rows.map((r) => r.state)).toEqual(['drifted', 'applied', 'pending']);
    const forced = await migrate(sql, { dir, allowDrift: true });
    expect(forced.applied.map((m) => m.version)).toEqual(['20250103000000']);
  });

  it('refuses to run when an applied file is missing, naming it', async () => {
    const sql = await empty();
    const dir = await copyFixture('migrations-ok');
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await migrate(sql, { dir, to: '20250102000000' });
    await rm(join(dir, '20250102000000_gear_notes.sql'));
    const err = await caught(migrate(sql, { dir }));
    expect(err.code).toBe('MIGRATION_DRIFT');
    expect(err.message).toContain('20250102000000_gear_notes.sql was applied but is missing');
    expect((await migrationStatus(sql, dir)).rows.map((r) => `${r.version}:${r.state}`)).toEqual([
      '20250101000000:applied',
      '20250102000000:missing',
      '20250103000000:pending',
    ]);
  });

  it('a failing migration is rolled back whole and reported with file, line and Postgres message', async () => {
    const sql = await empty();
    const err = await caught(migrate(sql, { dir: join(FIXTURES, 'migrations-failing') }));
    expect(err.code).toBe('MIGRATION_FAILED');
    expect(err.message).toContain('20250102000000_half_done.sql');
    expect(err.message).toContain('line 8');
    expect(err.message).toContain('division by zero');
    expect(await historyVersions(sql)).toEqual(['20250101000000']);
    const left = await sql.query(`select to_regclass('public.half_done')::text as t`);
    expect(left.rows[0]).toEqual({ t: null });
  });

  it("a file's own BEGIN/COMMIT cannot split it: it still applies all or nothing", async () => {
    const sql = await empty();
    const err = await caught(migrate(sql, { dir: join(FIXTURES, 'migrations-tx-control') }));
    expect(err.message).toContain('20250101000000_wrapped.sql failed at line 6');
    const left = await sql.query(`select to_regclass('public.wrapped')::text as t`);
    expect(left.rows[0]).toEqual({ t: null });
  });

  it("keeps Supabase's own history table in step when the database has one", async () => {
    const sql = await empty();
    await sql.exec(`create schema supabase_migrations;
      create table supabase_migrations.schema_migrations (version text primary key, statements text[], name text)`);
    await migrate(sql, { dir: join(FIXTURES, 'migrations-ok') });
    const { rows } = await sql.query<{ version: string; name: string; n: number }>(
      'select version, name, cardinality(statements) as n from supabase_migrations.schema_migrations order by 1',
    );
    expect(rows).toEqual([
      { version: '20250101000000', name: 'gear', n: 3 },
      { version: '20250102000000', name: 'gear_notes', n: 1 },
      { version: '20250103000000', name: 'gear_brand', n: 1 },
    ]);
  });

  it('never applies the auth shim to a Supabase database', async () => {
    const sql = await empty();
    await sql.exec(`do $$ begin
        if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin; end if;
      exception when duplicate_object or unique_violation then null; end $$;
      create schema auth; create table auth.users (id uuid primary key, email text);
      create schema supabase_migrations;
      create function auth.uid() returns uuid language sql stable as $$ select null::uuid $$;`);
    const result = await migrate(sql, { dir: join(FIXTURES, 'migrations-ok') });
    expect(result.auth).toBe('supabase');
    expect(result.authShimApplied).toBe(false);
    const cols = await sql.query(`select count(*)::int as n from information_schema.columns where table_schema = 'auth' and table_name = 'users'`);
    expect(cols.rows[0]).toEqual({ n: 2 });
  });
}

describe('db migrate on PGlite', () => defineMigrateTests(pgliteBackend));
describe.skipIf(!HAS_POSTGRES)('db migrate on Postgres', () => defineMigrateTests(postgresBackend));
