import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveInfoPath } from '../../src/db/paths.js';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { runCli, scratchDir } from '../helpers/cli.js';
import { freshPostgresDb, migratedDataDir, type PostgresTestDb } from '../helpers/db.js';
import { bearer, READY_LINE, readyOf, serveUntil, stopCli, type CliServe } from './helpers.js';

/** `serve --db-url` on the real Postgres server, in a database of its own (dropped afterwards). */
describe.skipIf(!process.env.DATABASE_URL)('veloready serve --db-url (DATABASE_URL\'s server)', () => {
  let db: PostgresTestDb;
  let dataDir: string;
  let serve: CliServe;
  const cwd = scratchDir('vr-serve-dburl-');

  beforeAll(async () => {
    db = await freshPostgresDb();
    // The folder's embedded database exists (migrated), so other commands can open it quickly.
    dataDir = await migratedDataDir();
    serve = await serveUntil(cwd, ['--db-url', db.url, '--data-dir', dataDir, '--json'], READY_LINE);
  }, 120_000);
  afterAll(async () => {
    if (serve) await stopCli(serve);
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(cwd, { recursive: true, force: true });
  });

  it('migrates and seeds that database; the printed demo token reads its activities', async () => {
    const ready = readyOf(serve);
    expect(ready.database).toContain(new URL(db.url).pathname);
    expect(ready.pgPort).toBeUndefined();
    const r = await fetch(`${ready.url}/api/activities?limit=5`, { headers: bearer(ready.demoToken) });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { activities: Array<{ id: number }> };
    expect(body.activities).toHaveLength(5);
    const { rows } = await db.sql.query<{ id: string }>(
      'select id::text as id from public.activities where athlete_id = $1 order by start_date desc limit 5',
      [DEMO_ATHLETE_ID],
    );
    expect(body.activities.map((a) => String(a.id))).toEqual(rows.map((row) => row.id));
    const migrations = await db.sql.query<{ n: number }>('select count(*)::int as n from veloready.schema_migrations');
    expect(migrations.rows[0]!.n).toBeGreaterThanOrEqual(4);
  });

  it('serve.json records no Postgres socket, and other commands in the folder resolve their own database', async () => {
    const info = JSON.parse(readFileSync(serveInfoPath(dataDir), 'utf8')) as Record<string, unknown>;
    expect(info.pid).toBe(serve.child.pid);
    expect(info).not.toHaveProperty('pgPort');

    // No flag, no DATABASE_URL: the embedded database, opened directly (serve holds no lock on it),
    // with a warning that this folder's serve uses another database and how to read that one.
    const embedded = await runCli(['db', 'status', '--data-dir', dataDir, '--json'], { cwd });
    expect(embedded.exitCode, embedded.stderr).toBe(0);
    expect(JSON.parse(embedded.stdout).target).toMatchObject({ kind: 'embedded' });
    expect(embedded.stderr).not.toContain('via veloready serve');
    expect(embedded.stderr).toContain(`uses ${readyOf(serve).database}: pass --db-url`);

    // DATABASE_URL: that server.
    const server = await runCli(['db', 'status', '--data-dir', dataDir, '--json'], { cwd, env: { DATABASE_URL: db.url } });
    expect(server.exitCode, server.stderr).toBe(0);
    expect(JSON.parse(server.stdout).target).toMatchObject({ kind: 'postgres', label: expect.stringContaining(new URL(db.url).pathname) });
  });

  it('a second serve on the same data dir is refused, naming the running one', async () => {
    const second = await runCli(['serve', '--port', '0', '--pg-port', '0', '--no-ui', '--data-dir', dataDir], { cwd });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`already running .*pid ${serve.child.pid}`));
  });

  it('Ctrl-C stops it and removes serve.json', async () => {
    expect(await stopCli(serve)).toBe(0);
    expect(existsSync(join(dataDir, 'serve.json'))).toBe(false);
  });
});
