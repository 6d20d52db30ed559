import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/db/pglite.js';
import { defaultMigrationsDir } from '../../src/db/paths.js';
import { nextMigrationVersion } from '../../src/db/new-migration.js';
import { resolveMigrationsDir } from '../../src/db/migrations-dir.js';
import { listMigrationFiles } from '../../src/db/migration-files.js';
import { authShimScript } from '../../src/db/shim.js';
import { runCli } from '../helpers/cli.js';
import { freshPostgresDb, migratedDataDir } from '../helpers/db.js';
import { openPg } from '../../src/db/pg.js';
import { READY_LINE, readyOf, serveUntil, startTestServe, stopCli } from '../serve/helpers.js';
import { FIXTURES, HAS_POSTGRES } from './backends.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function veloready(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  const run = await runCli(args, { cwd, env: { NO_COLOR: '1', ...env } });
  return { exitCode: run.exitCode, stdout: String(run.stdout), stderr: String(run.stderr) };
}

const EXTRA_VERSION = '20270101000000';
const EXTRA_MIGRATION = `${EXTRA_VERSION}_gear.sql`;

/** A project folder whose supabase/migrations holds the shipped schema plus one migration of its own. */
async function projectWithExtraMigration(): Promise<string> {
  const project = await tempDir('vr-project-');
  const dir = join(project, 'supabase', 'migrations');
  mkdirSync(dir, { recursive: true });
  cpSync(defaultMigrationsDir(), dir, { recursive: true });
  writeFileSync(join(dir, EXTRA_MIGRATION), 'create table public.gear (id bigint primary key, name text not null);\n');
  return project;
}

async function migratedCopy(): Promise<string> {
  const dataDir = await migratedDataDir();
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  return dataDir;
}

describe('one migrations folder for every command', () => {
  it('resolves --dir > VELOREADY_MIGRATIONS_DIR > ./supabase/migrations > the shipped schema', async () => {
    const project = await projectWithExtraMigration();
    const bare = await tempDir('vr-bare-');
    expect(resolveMigrationsDir({ cwd: bare, envValue: undefined })).toEqual({ dir: defaultMigrationsDir(), source: 'shipped' });
    expect(resolveMigrationsDir({ cwd: project, envValue: undefined })).toEqual({ dir: join(project, 'supabase', 'migrations'), source: 'project' });
    expect(resolveMigrationsDir({ cwd: project, envValue: 'db/m' })).toEqual({ dir: join(project, 'db', 'm'), source: 'env' });
    expect(resolveMigrationsDir({ cwd: project, envValue: 'db/m', flag: 'x' })).toEqual({ dir: join(project, 'x'), source: 'flag' });
  });

  it('db migrate and db status use ./supabase/migrations and say so; status exits 1 on pending', async () => {
    const project = await projectWithExtraMigration();
    const dataDir = await migratedCopy();
    const before = await veloready(project, ['db', 'status', '--data-dir', dataDir, '--json']);
    expect(before.exitCode).toBe(1);
    expect(before.stderr).toContain("migrations: supabase/migrations (the project's)");
    const json = JSON.parse(before.stdout) as { migrations: Array<{ version: string; state: string }>; ignored: string[] };
    expect(json.migrations.filter((m) => m.state !== 'applied')).toEqual([expect.objectContaining({ version: EXTRA_VERSION, state: 'pending' })]);

    const migrated = await veloready(project, ['db', 'migrate', '--data-dir', dataDir]);
    expect([migrated.exitCode, migrated.stdout]).toEqual([0, expect.stringContaining(`applied ${EXTRA_MIGRATION}`)]);
    expect((await veloready(project, ['db', 'status', '--data-dir', dataDir])).exitCode).toBe(0);
  }, 120_000);

  it('files not named <version>_<name>.sql are listed as ignored', async () => {
    const project = await projectWithExtraMigration();
    writeFileSync(join(project, 'supabase', 'migrations', 'add_bikes.sql'), 'create table bikes (id int);\n');
    const dataDir = await migratedCopy();
    const status = await veloready(project, ['db', 'status', '--data-dir', dataDir]);
    expect(status.stdout).toContain('ignored add_bikes.sql (not named <version>_<name>.sql)');
  }, 120_000);

  it('db status in an empty folder creates nothing and exits 1 (everything pending)', async () => {
    const empty = await tempDir('vr-empty-');
    const status = await veloready(empty, ['db', 'status']);
    expect(status.exitCode).toBe(1);
    expect(status.stderr).toContain('database: none (no embedded database in .veloready yet');
    expect(status.stdout).toMatch(/20260101000000\s+athletes_activities\s+pending/);
    expect(readdirSync(empty)).toEqual([]);
  });

  it('db status beside a serve on a server says which database that serve uses, and creates nothing', async () => {
    const empty = await tempDir('vr-empty-');
    mkdirSync(join(empty, '.veloready'));
    writeFileSync(join(empty, '.veloready', 'serve.json'), JSON.stringify({ pid: process.ppid, database: 'postgres://postgres@db.example:5432/app' }));
    const status = await veloready(empty, ['db', 'status', '--json']);
    expect(status.exitCode).toBe(1);
    expect(status.stderr).toContain('uses postgres://postgres@db.example:5432/app: pass --db-url');
    expect(readdirSync(join(empty, '.veloready'))).toEqual(['serve.json']);
  });
});

describe('db new', () => {
  it('without a project folder creates ./supabase/migrations there (with the shipped schema), never under the package', async () => {
    const project = await tempDir('vr-new-');
    const shipped = readdirSync(defaultMigrationsDir());
    const first = await veloready(project, ['db', 'new', 'add_gear']);
    const second = await veloready(project, ['db', 'new', 'add_gear_brand']);
    expect([first.exitCode, second.exitCode]).toEqual([0, 0]);
    expect(first.stderr).toContain(`created folder ${join(project, 'supabase', 'migrations')} with a copy of veloready's ${shipped.length} shipped migrations`);
    expect(second.stderr).not.toContain('created folder');
    const files = readdirSync(join(project, 'supabase', 'migrations')).sort();
    const added = files.filter((f) => !shipped.includes(f));
    expect(files.filter((f) => shipped.includes(f))).toEqual([...shipped].sort());
    expect(added).toEqual([expect.stringMatching(/^\d{14}_add_gear\.sql$/), expect.stringMatching(/^\d{14}_add_gear_brand\.sql$/)]);
    // Two within one second still get distinct versions, in creation order.
    expect(added[0]!.slice(0, 14) < added[1]!.slice(0, 14)).toBe(true);
    expect(first.stdout).toContain(added[0]);
    expect(readdirSync(defaultMigrationsDir())).toEqual(shipped);
  }, 120_000);

  it('versions are unique within one second and follow the newest file', () => {
    const now = new Date('2026-12-03T10:00:00.400Z');
    expect(nextMigrationVersion([], now)).toBe('20261203100000');
    expect(nextMigrationVersion(['20261203100000'], now)).toBe('20261203100001');
    expect(nextMigrationVersion(['20261203100000', '20261203100001', '1'], now)).toBe('20261203100002');
    expect(nextMigrationVersion(['20261203095959'], now)).toBe('20261203100000');
  });
});

describe('db repair', () => {
  it('--status applied clears drift after a deliberate edit and records who did it; --status reverted makes it pending', async () => {
    const project = await tempDir('vr-repair-');
    const dir = join(project, 'supabase', 'migrations');
    cpSync(join(FIXTURES, 'migrations-ok'), dir, { recursive: true });
    const dataDir = await migratedDataDir(null); // an empty cluster: skips initdb
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    expect((await veloready(project, ['db', 'migrate', '--data-dir', dataDir])).exitCode).toBe(0);
    writeFileSync(join(dir, '20250102000000_gear_notes.sql'), '-- edited on purpose\nalter table gear add column notes text;\n');

    const drifted = await veloready(project, ['db', 'status', '--data-dir', dataDir]);
    expect([drifted.exitCode, drifted.stdout]).toEqual([1, expect.stringMatching(/20250102000000\s+gear_notes\s+drifted/)]);
    const repaired = await veloready(project, ['db', 'repair', '--status', 'applied', '20250102000000', '--data-dir', dataDir]);
    expect([repaired.exitCode, repaired.stdout]).toEqual([0, expect.stringContaining('marked 20250102000000_gear_notes applied (was drifted)')]);
    expect((await veloready(project, ['db', 'status', '--data-dir', dataDir])).exitCode).toBe(0);

    const reverted = await veloready(project, ['db', 'repair', '--status', 'reverted', '20250103000000', '--data-dir', dataDir]);
    expect(reverted.exitCode).toBe(0);
    const status = await veloready(project, ['db', 'status', '--data-dir', dataDir]);
    expect([status.exitCode, status.stdout]).toEqual([1, expect.stringMatching(/20250103000000\s+gear_brand\s+pending/)]);

    const sql = await openPglite({ dataDir });
    try {
      const { rows } = await sql.query<{ version: string; status: string; repaired_by: string }>(
        'select version, status, repaired_by from veloready.schema_repairs order by id',
      );
      expect(rows.map((r) => [r.version, r.status])).toEqual([['20250102000000', 'applied'], ['20250103000000', 'reverted']]);
      expect(rows[0]!.repaired_by).not.toBe('');
    } finally {
      await sql.close();
    }
    const bad = await veloready(project, ['db', 'repair', '--status', 'done', '20250103000000', '--data-dir', dataDir]);
    expect(bad.exitCode).toBe(2);
  }, 180_000);

  it('in a folder without a database: one error line saying what to run first, exit 1, and nothing created', async () => {
    const empty = await tempDir('vr-repair-empty-');
    const run = await veloready(empty, ['db', 'repair', '--status', 'applied', '20260101000000']);
    expect(run.exitCode).toBe(1);
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('Nothing to repair: no embedded database');
    expect(run.stderr).toContain('hint: Run `veloready db migrate` (or `veloready serve`) first, or pass --db-url.');
    expect(run.stdout).toBe('');
    expect(readdirSync(empty)).toEqual([]);
  });
});

describe('serve with the project\'s migrations', () => {
  it('starts on a database migrated with an extra project migration, and keeps its data', async () => {
    const project = await projectWithExtraMigration();
    const dataDir = await migratedCopy();
    expect((await veloready(project, ['db', 'migrate', '--data-dir', dataDir])).exitCode).toBe(0);
    const sql = await openPglite({ dataDir });
    await sql.exec("insert into public.gear values (1, 'Canyon Aeroad')");
    await sql.close();

    // In the project: the same folder, nothing to say.
    const inProject = await startTestServe({ dataDir, cwd: project });
    try {
      expect(inProject.migration.migrations.source).toBe('project');
      expect(inProject.migration.warnings).toEqual([]);
      expect((await inProject.sql.query('select name from public.gear')).rows).toEqual([{ name: 'Canyon Aeroad' }]);
    } finally {
      await inProject.close();
    }

    // Elsewhere (the shipped schema): serve still starts, says what differs and how to fix it, keeps the data.
    const elsewhere = await startTestServe({ dataDir, cwd: await tempDir('vr-elsewhere-') });
    try {
      expect(elsewhere.migration.migrations.source).toBe('shipped');
      expect(elsewhere.migration.warnings[0]).toContain(`${EXTRA_MIGRATION} is recorded as applied but is not in ${defaultMigrationsDir()}`);
      expect(elsewhere.migration.warnings[0]).toContain(`veloready db repair --status reverted ${EXTRA_VERSION}`);
      expect((await elsewhere.sql.query('select name from public.gear')).rows).toEqual([{ name: 'Canyon Aeroad' }]);
    } finally {
      await elsewhere.close();
    }
  }, 120_000);
});

describe('serve --dir', () => {
  it('migrates with the named folder over VELOREADY_MIGRATIONS_DIR and ./supabase/migrations, and prints it', async () => {
    // The project's supabase/migrations and the environment both name the shipped schema only;
    // --dir names a folder with the extra migration: only --dir creates public.gear.
    const project = await tempDir('vr-serve-dir-');
    const named = join(project, 'db', 'migrations');
    mkdirSync(named, { recursive: true });
    cpSync(defaultMigrationsDir(), named, { recursive: true });
    writeFileSync(join(named, EXTRA_MIGRATION), 'create table public.gear (id bigint primary key, name text not null);\n');
    cpSync(defaultMigrationsDir(), join(project, 'supabase', 'migrations'), { recursive: true });
    const dataDir = await migratedCopy();

    const serve = await serveUntil(project, ['--data-dir', dataDir, '--json', '--dir', 'db/migrations'], READY_LINE, {
      VELOREADY_MIGRATIONS_DIR: defaultMigrationsDir(),
    });
    try {
      expect(serve.out()).toContain('migrations: db/migrations (--dir)');
      const sql = await openPg(`postgres://postgres@127.0.0.1:${readyOf(serve).pgPort}/postgres`, { maxConnections: 1 });
      try {
        expect((await sql.query("select to_regclass('public.gear')::text as t")).rows).toEqual([{ t: 'gear' }]);
      } finally {
        await sql.close();
      }
    } finally {
      expect(await stopCli(serve)).toBe(0);
    }
    const help = await veloready(project, ['serve', '--help']);
    expect(help.stdout).toMatch(/--dir <dir>\s+migrations folder \(default: VELOREADY_MIGRATIONS_DIR, else \.\/supabase\/migrations/);
  }, 180_000);
});

describe('db reset', () => {
  it('refuses a URL that looks like a managed production database, before connecting', async () => {
    const cwd = await tempDir('vr-reset-');
    const run = await veloready(cwd, ['db', 'reset', '--db-url', 'postgres://postgres:pw@db.abcdefgh.supabase.co:5432/postgres']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('looks like a managed Supabase database');
    expect(run.stderr).toContain('--yes-i-mean-it');
    expect(run.stderr).not.toContain(':pw@');
  });

  it('embedded: drops the data, migrates again', async () => {
    const cwd = await tempDir('vr-reset-');
    const dataDir = await migratedCopy();
    const sql = await openPglite({ dataDir });
    await sql.exec("insert into auth.users (id) values ('00000000-0000-0000-0000-000000000001'); insert into public.athletes (id, user_id) values (7, '00000000-0000-0000-0000-000000000001')");
    await sql.close();
    const run = await veloready(cwd, ['db', 'reset', '--no-seed', '--data-dir', dataDir, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { applied: string[] }).applied).toHaveLength(readdirSync(defaultMigrationsDir()).length);
    const after = await openPglite({ dataDir });
    try {
      expect((await after.query('select id from public.athletes')).rows).toEqual([]);
    } finally {
      await after.close();
    }
  }, 60_000);

  it.skipIf(!HAS_POSTGRES)('on a Postgres database: drops what the migrations made, migrates and seeds the demo athlete', async () => {
    const db = await freshPostgresDb();
    cleanups.push(() => db.drop());
    const cwd = await tempDir('vr-reset-');
    expect((await veloready(cwd, ['db', 'migrate', '--db-url', db.url])).exitCode).toBe(0);
    await db.sql.exec('create table public.leftover (id int); alter table public.activities add column junk text');
    const run = await veloready(cwd, ['db', 'reset', '--db-url', db.url]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('seeded 1 athlete(s)');
    const { rows } = await db.sql.query<{ t: string | null; junk: number }>(
      `select to_regclass('public.leftover')::text as t,
              (select count(*)::int from information_schema.columns where table_name = 'activities' and column_name = 'junk') as junk`,
    );
    expect(rows).toEqual([{ t: null, junk: 0 }]);
    expect((await veloready(cwd, ['db', 'status', '--db-url', db.url])).exitCode).toBe(0);
  }, 120_000);
});

describe('db diff and db baseline (the CLI)', () => {
  it('exit 0 on a freshly migrated database; exit 1 naming a dropped policy; --write creates the migration in the project', async () => {
    const project = await tempDir('vr-diff-');
    const dataDir = await migratedCopy();
    const equal = await veloready(project, ['db', 'diff', '--data-dir', dataDir]);
    expect([equal.exitCode, equal.stdout]).toEqual([0, expect.stringContaining('no differences')]);

    const sql = await openPglite({ dataDir });
    await sql.exec('drop policy athletes_update_own on public.athletes; create index athletes_city_idx on public.athletes (city)');
    await sql.close();
    const differ = await veloready(project, ['db', 'diff', '--data-dir', dataDir, '--json', '--write', 'dashboard_changes']);
    expect(differ.exitCode).toBe(1);
    const json = JSON.parse(differ.stdout) as { equal: boolean; differences: Array<{ table: string; kind: string; object: string; name: string }>; written: { path: string } };
    expect(json.equal).toBe(false);
    expect(json.differences.map((d) => `${d.table} ${d.kind} ${d.object} ${d.name}`).sort()).toEqual([
      'public.athletes extra index athletes_city_idx',
      'public.athletes missing policy athletes_update_own',
    ]);
    expect(json.written.path).toMatch(new RegExp(`^${join(project, 'supabase', 'migrations')}/\\d{14}_dashboard_changes\\.sql$`));
    expect(existsSync(json.written.path)).toBe(true);
  }, 120_000);

  it('db diff on a folder without a database creates nothing and says so', async () => {
    const empty = await tempDir('vr-empty-');
    const run = await veloready(empty, ['db', 'diff']);
    expect([run.exitCode, run.stderr]).toEqual([1, expect.stringContaining('Nothing to compare: no embedded database')]);
    expect(readdirSync(empty)).toEqual([]);
  });

  it('status suggests baseline for a database made by hand; baseline adopts it; on the reference schema it refuses naming the differences', async () => {
    const cwd = await tempDir('vr-baseline-');
    const last = readdirSync(defaultMigrationsDir()).sort().at(-1)!.slice(0, 14);
    const byHand = await migratedDataDir(null);
    cleanups.push(() => rm(byHand, { recursive: true, force: true }));
    const sql = await openPglite({ dataDir: byHand });
    await sql.exec(authShimScript());
    for (const f of listMigrationFiles(defaultMigrationsDir())) await sql.exec(f.script);
    await sql.close();

    const status = await veloready(cwd, ['db', 'status', '--data-dir', byHand]);
    expect([status.exitCode, status.stdout]).toEqual([1, expect.stringContaining(`adopt it with: veloready db baseline --to ${last}`)]);
    const adopted = await veloready(cwd, ['db', 'baseline', '--to', last, '--data-dir', byHand]);
    expect([adopted.exitCode, adopted.stdout]).toEqual([0, expect.stringContaining(`recorded ${last}_`)]);
    const migrated = await veloready(cwd, ['db', 'migrate', '--data-dir', byHand]);
    expect(migrated.stdout).toContain('nothing to migrate');
    expect((await veloready(cwd, ['db', 'status', '--data-dir', byHand])).exitCode).toBe(0);

    const reference = await migratedDataDir(join(FIXTURES, 'reference-schema'));
    cleanups.push(() => rm(reference, { recursive: true, force: true }));
    const ref = await openPglite({ dataDir: reference });
    await ref.exec('drop schema veloready cascade'); // applied "by hand": no history
    await ref.close();
    const refused = await veloready(cwd, ['db', 'baseline', '--to', last, '--data-dir', reference]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toContain('baseline refused');
    expect(refused.stdout).toMatch(/public\.athletes\n(.*\n)*\s+missing\s+policy athletes_select_own/);
  }, 300_000);
});
