import { execa } from 'execa';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPglite, type PgliteSql } from '../../src/db/pglite.js';
import { openDatabase } from '../../src/db/open.js';
import { pgLockPath, serveInfoPath } from '../../src/db/paths.js';
import { runCli } from '../helpers/cli.js';
import { freshPostgresDb, migratedDataDir } from '../helpers/db.js';
import { FIXTURES, HAS_POSTGRES } from './backends.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function veloready(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { env: { NO_COLOR: '1', ...env } });
}

/** A data dir holding an empty, already initialised cluster (skips PGlite's slow initdb). */
async function emptyDataDir(): Promise<string> {
  const dir = await migratedDataDir(null);
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A data dir holding a migrated copy of the schema. */
async function migratedDir(): Promise<string> {
  const dir = await migratedDataDir();
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A --tests folder holding one passing pgTAP file. */
async function pgtapTestsDir(): Promise<string> {
  const dir = await tempDir('veloready-tap-');
  writeFileSync(join(dir, 'tap.test.sql'), "select plan(1);\nselect ok(true, 'pgTAP runs');\nselect * from finish();\n");
  return dir;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = await execa('node', ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout);
}

describe('embedded database lock', () => {
  it('a second process gets DB_LOCKED naming the holder pid and what to do', async () => {
    const dataDir = await emptyDataDir();
    const sql = await openPglite({ dataDir });
    cleanups.push(() => sql.close());
    const run = await veloready(['db', 'migrate', '--data-dir', dataDir]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`in use by process ${process.pid}`);
    expect(run.stderr).toContain('veloready serve');
  });

  it('releases the lock when the database cannot be opened', async () => {
    const dataDir = await tempDir('veloready-badpg-');
    writeFileSync(join(dataDir, 'pg'), 'a file where the pg/ folder should be');
    await expect(openPglite({ dataDir })).rejects.toThrow();
    expect(existsSync(pgLockPath(dataDir))).toBe(false);
  });

  it('a stale lock left by a dead process is taken over, and released on close', async () => {
    const dataDir = await emptyDataDir();
    writeFileSync(pgLockPath(dataDir), JSON.stringify({ pid: await deadPid() }));
    const sql = await openPglite({ dataDir });
    expect(JSON.parse(await readFile(pgLockPath(dataDir), 'utf8')).pid).toBe(process.pid);
    await expect(openPglite({ dataDir })).rejects.toMatchObject({ code: 'DB_LOCKED' });
    await sql.close();
    expect(existsSync(pgLockPath(dataDir))).toBe(false);
  });
});

describe('veloready db on the embedded database', () => {
  it('migrate, status --json and test-rls each say which database they touched', async () => {
    const dataDir = await emptyDataDir();
    const migrated = await veloready(['db', 'migrate', '--data-dir', dataDir]);
    expect(migrated.exitCode).toBe(0);
    expect(migrated.stderr).toContain(`database: embedded (${join(dataDir, 'pg')})`);
    expect(migrated.stdout).toContain('applied 20261130000000_auth_sessions_revoked_at.sql');
    const status = await veloready(['db', 'status', '--data-dir', dataDir, '--json']);
    expect(status.exitCode).toBe(0);
    const json = JSON.parse(status.stdout) as { migrations: Array<{ state: string }>; target: { kind: string } };
    expect(json.target.kind).toBe('embedded');
    expect(json.migrations.map((m) => m.state)).toEqual(Array(8).fill('applied'));
    const rls = await veloready(['db', 'test-rls', '--data-dir', dataDir]);
    expect(rls.exitCode).toBe(0);
    expect(rls.stdout).toMatch(/athletes\s+SELECT\s+PASS/);
    // Every check passes, whatever their number (it grows with the schema and the attack classes).
    expect(rls.stdout).toMatch(/PASS: (\d+)\/\1 isolation checks passed/);
  }, 60_000);

  it('a failing migration exits 1 with the file, the line and Postgres message', async () => {
    const dataDir = await emptyDataDir();
    const run = await veloready(['db', 'migrate', '--data-dir', dataDir, '--dir', join(FIXTURES, 'migrations-failing')]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('Migration 20250102000000_half_done.sql failed at line 8: division by zero');
  });

  it('test-rls --tests refuses a path that is not a folder, before touching any database', async () => {
    const dir = await tempDir('veloready-tests-arg-');
    const file = join(dir, 'one.sql');
    writeFileSync(file, 'select 1;');
    const run = await veloready(['db', 'test-rls', '--data-dir', join(dir, 'data'), '--tests', file]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(`--tests ${file}: no such folder`);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('test-rls without an embedded database creates none and says to run db migrate or serve first (exit 1)', async () => {
    const dir = await tempDir('veloready-rls-none-');
    const run = await veloready(['db', 'test-rls', '--data-dir', join(dir, 'data')]);
    expect(run.exitCode).toBe(1);
    const error = run.stderr.split('\n').find((l) => l.startsWith('error: '));
    expect(error).toContain('Nothing to test: no embedded database');
    expect(error).toContain('veloready db migrate');
    expect(error).toContain('veloready serve');
    expect(run.stdout).toBe('');
    expect(existsSync(join(dir, 'data', 'pg'))).toBe(false);
  });

  it('db new creates a correctly named empty migration', async () => {
    const dir = await tempDir('veloready-new-');
    const run = await veloready(['db', 'new', 'Add gear table', '--dir', dir]);
    expect(run.exitCode).toBe(0);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{14}_add_gear_table\.sql$/);
    expect(run.stdout).toContain(files[0]);
    const bad = await veloready(['db', 'new', 'drop;table', '--dir', dir]);
    expect(bad.exitCode).toBe(2);
  });
});

describe.skipIf(!HAS_POSTGRES)('veloready db on Postgres', () => {
  it('two concurrent db migrate processes apply each migration exactly once', async () => {
    const db = await freshPostgresDb();
    cleanups.push(() => db.drop());
    const [a, b] = await Promise.all([
      veloready(['db', 'migrate', '--db-url', db.url, '--json']),
      veloready(['db', 'migrate', '--db-url', db.url, '--json']),
    ]);
    expect([a.exitCode, b.exitCode, a.stderr + b.stderr]).toEqual([0, 0, expect.any(String)]);
    const applied = [a, b].flatMap((r) => (JSON.parse(r.stdout) as { applied: Array<{ file: string }> }).applied.map((m) => m.file));
    expect(applied.sort()).toEqual([
      '20260101000000_athletes_activities.sql',
      '20260101000100_sessions_refresh_tokens.sql',
      '20260101000200_backfill_jobs.sql',
      '20260101000300_strava_webhook_events.sql',
      '20261130000000_auth_sessions_revoked_at.sql',
      '20261203000000_activity_streams_per_type.sql',
      '20261203000100_athletes_service_owned.sql',
      '20261203000200_activities_service_owned.sql',
    ]);
    const { rows } = await db.sql.query<{ n: number }>('select count(*)::int as n from veloready.schema_migrations');
    expect(rows[0]!.n).toBe(8);
  });

  it('prints the target with the password redacted, and test-rls --json exits 1 naming the broken table', async () => {
    const db = await freshPostgresDb();
    cleanups.push(() => db.drop());
    const url = new URL(db.url);
    url.password = 's3cret-pw';
    const migrated = await veloready(['db', 'migrate', '--dir', join(FIXTURES, 'migrations-broken-rls')], { DATABASE_URL: url.toString() });
    expect(migrated.exitCode).toBe(0);
    expect(migrated.stderr).toContain(`database: postgres://postgres:****@127.0.0.1`);
    expect(migrated.stderr + migrated.stdout).not.toContain('s3cret-pw');
    const rls = await veloready(['db', 'test-rls', '--db-url', url.toString(), '--json']);
    expect(rls.exitCode).toBe(1);
    const report = JSON.parse(rls.stdout) as { passed: boolean; checks: Array<{ table: string; operation: string; verdict: string }> };
    expect(report.passed).toBe(false);
    expect(report.checks).toContainEqual(expect.objectContaining({ table: 'notes_open', operation: 'SELECT', verdict: 'fail' }));
  });

  it('the embedded target goes through a running veloready serve (serve.json with a live pid)', async () => {
    const dataDir = await tempDir('veloready-serve-');
    const holder = execa('node', ['-e', 'setTimeout(() => {}, 30000)']);
    cleanups.push(async () => {
      holder.kill();
      await holder.catch(() => undefined);
    });
    const port = Number(new URL(process.env.DATABASE_URL!).port || 5432);
    writeFileSync(serveInfoPath(dataDir), JSON.stringify({ pid: holder.pid, pgPort: port }));
    const sql = await openDatabase({ dataDir });
    try {
      expect(sql.target.label).toBe(`embedded via veloready serve (pid ${holder.pid}, 127.0.0.1:${port})`);
      expect((await sql.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
      expect(existsSync(pgLockPath(dataDir))).toBe(false);
    } finally {
      await sql.close();
    }
  });
});

describe('pgTAP on the embedded database', () => {
  it('db test-rls loads pgTAP itself when it opens the embedded database (other commands do not need it)', async () => {
    const dataDir = await migratedDir();
    const run = await veloready(['db', 'test-rls', '--data-dir', dataDir, '--tests', await pgtapTestsDir(), '--json']);
    expect([run.exitCode, run.stderr]).toEqual([0, expect.not.stringContaining('via veloready serve')]);
    expect(run.stdout).toContain('ok 1 - pgTAP runs');
  });
});

describe('through a PGlite socket server (what veloready serve runs)', () => {
  /** Serves dataDir's embedded database as `veloready serve` does and points serve.json at it. */
  async function serveEmbedded(dataDir: string, opts: { pgtap?: boolean } = {}): Promise<PgliteSql> {
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const { SharedPglite } = await import('../../src/serve/shared-pglite.js');
    const served = await openPglite({ dataDir, pgtap: opts.pgtap ?? false });
    cleanups.push(() => served.close());
    const server = new PGLiteSocketServer({ db: new SharedPglite(served).socketGate(), port: 0, host: '127.0.0.1', maxConnections: 8 });
    await server.start();
    cleanups.unshift(() => server.stop());
    const holder = execa('node', ['-e', 'setTimeout(() => {}, 30000)']);
    cleanups.push(async () => {
      holder.kill();
      await holder.catch(() => undefined);
    });
    const pgPort = Number(server.getServerConn().split(':').pop());
    writeFileSync(serveInfoPath(dataDir), JSON.stringify({ pid: holder.pid, pgPort }));
    return served;
  }

  it('db test-rls runs pgTAP files through a serve that loaded pgTAP (--pgtap); without it, the file fails saying so', async () => {
    const tests = await pgtapTestsDir();
    const plain = await migratedDir();
    await serveEmbedded(plain);
    const refused = await veloready(['db', 'test-rls', '--data-dir', plain, '--tests', tests, '--json']);
    expect(refused.exitCode).toBe(1);
    const [file] = (JSON.parse(refused.stdout) as { tests: Array<{ passed: boolean; output: string[] }> }).tests;
    expect(file!.passed).toBe(false);
    expect(file!.output.join('\n')).toMatch(/pgTAP is not available in this database .*--pgtap/);

    const withTap = await migratedDir();
    await serveEmbedded(withTap, { pgtap: true });
    const ran = await veloready(['db', 'test-rls', '--data-dir', withTap, '--tests', tests, '--json']);
    expect([ran.exitCode, ran.stderr]).toEqual([0, expect.stringContaining('embedded via veloready serve')]);
    expect(ran.stdout).toContain('ok 1 - pgTAP runs');
  });

  it('two concurrent db migrate processes on the embedded database apply each migration exactly once', async () => {
    const dataDir = await emptyDataDir();
    const served = await serveEmbedded(dataDir);
    const [a, b] = await Promise.all([
      veloready(['db', 'migrate', '--data-dir', dataDir, '--json']),
      veloready(['db', 'migrate', '--data-dir', dataDir, '--json']),
    ]);
    expect([a.exitCode, b.exitCode, a.stderr + b.stderr]).toEqual([0, 0, expect.stringContaining('embedded via veloready serve')]);
    const applied = [a, b].flatMap((r) => (JSON.parse(r.stdout) as { applied: Array<{ file: string }> }).applied.map((m) => m.file));
    expect(applied.sort()).toEqual([
      '20260101000000_athletes_activities.sql',
      '20260101000100_sessions_refresh_tokens.sql',
      '20260101000200_backfill_jobs.sql',
      '20260101000300_strava_webhook_events.sql',
      '20261130000000_auth_sessions_revoked_at.sql',
      '20261203000000_activity_streams_per_type.sql',
      '20261203000100_athletes_service_owned.sql',
      '20261203000200_activities_service_owned.sql',
    ]);
    const { rows } = await served.query<{ n: number }>('select count(*)::int as n from veloready.schema_migrations');
    expect(rows[0]!.n).toBe(8);
  });

  it('openDatabase reaches the served embedded database, and migrate + test-rls work over the wire', async () => {
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const { createServer } = await import('node:net');
    const dataDir = await emptyDataDir();
    const served = await openPglite({ dataDir });
    cleanups.push(() => served.close());
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const server = new PGLiteSocketServer({ db: served.pglite, port, host: '127.0.0.1' });
    await server.start();
    cleanups.unshift(() => server.stop());
    const holder = execa('node', ['-e', 'setTimeout(() => {}, 30000)']);
    cleanups.push(async () => {
      holder.kill();
      await holder.catch(() => undefined);
    });
    writeFileSync(serveInfoPath(dataDir), JSON.stringify({ pid: holder.pid, pgPort: port }));
    const { migrate } = await import('../../src/db/migrate.js');
    const { runRlsTests } = await import('../../src/db/test-rls.js');
    const sql = await openDatabase({ dataDir });
    try {
      expect(sql.target.label).toContain('embedded via veloready serve');
      expect((await migrate(sql)).applied).toHaveLength(8);
      expect((await runRlsTests(sql)).passed).toBe(true);
    } finally {
      await sql.close();
    }
    const { rows } = await served.query<{ n: number }>('select count(*)::int as n from veloready.schema_migrations');
    expect(rows[0]!.n).toBe(8);
  });
});
