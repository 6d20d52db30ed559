import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSED_STATE_FILE } from '../../src/db/closed-state.js';
import { openPglite } from '../../src/db/pglite.js';
import { defaultMigrationsDir } from '../../src/db/paths.js';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { shippedMigrationVersion } from '../../src/snapshot/database.js';
import { createArchive } from '../../src/snapshot/archive.js';
import { loadSnapshot, saveSnapshot } from '../../src/snapshot/snapshot.js';
import { restingState } from '../../src/snapshot/states.js';
import { ADMIN_TOKEN_HEADER } from '../../src/control/admin-guard.js';
import { runCli } from '../helpers/cli.js';
import { migratedDataDir } from '../helpers/db.js';
import { bearer, startTestServe, TEST_SECRET, waitForJob, type TestServe } from '../serve/helpers.js';

const OTHER_SECRET = 'another-folder-jwt-secret-0123456789abcdef';
let serve: TestServe;
const scratch = mkdtempSync(join(tmpdir(), 'vr-snapshot-test-'));
/** The snapshot saved during the backfill, and what the database held when it was saved. */
let saved: { file: string };

beforeAll(async () => {
  serve = await startTestServe();
}, 180_000);
afterAll(async () => serve?.stop());

async function snapshotsApi(body: Record<string, unknown>): Promise<{ status: number; json: any }> {
  const res = await fetch(`${serve.url}/_/api/snapshots`, {
    method: 'POST',
    headers: { [ADMIN_TOKEN_HEADER]: serve.adminToken, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const countActivities = async (sql: { query: TestServe['sql']['query'] }): Promise<number> =>
  Number((await sql.query<{ n: string }>('select count(*)::text as n from public.activities where athlete_id = $1', [DEMO_ATHLETE_ID])).rows[0]!.n);

/** Opens a data dir's database at rest and runs `fn` on it. */
async function withDatabase<T>(dataDir: string, fn: (sql: Awaited<ReturnType<typeof openPglite>>) => Promise<T>): Promise<T> {
  const sql = await openPglite({ dataDir });
  try {
    return await fn(sql);
  } finally {
    await sql.close();
  }
}

describe('snapshots of a running serve', () => {
  it('save during a running backfill with requests in flight: none fails, the snapshot is consistent', async () => {
    // The backfill re-creates every activity, a page of 200 at a time, each page slow.
    await serve.sql.query('delete from public.activities where athlete_id = $1', [DEMO_ATHLETE_ID]);
    serve.fakeStrava!.setFaults({ latencyMs: 3000 });
    const started = await fetch(`${serve.url}/.netlify/functions/backfill-background`, {
      method: 'POST',
      headers: { ...bearer(serve.tokenFor(0, 'service_role')), 'content-type': 'application/json' },
      body: JSON.stringify({ athlete_id: DEMO_ATHLETE_ID }),
    });
    expect(started.status).toBe(202);
    const jobId = started.headers.get('x-job-id')!;
    // The 202 comes before the background function runs; its job row is written once it does.
    for (let i = 0; i < 200; i++) {
      if ((await serve.sql.query('select 1 from public.backfill_jobs where id = $1', [jobId])).rows.length) break;
      await new Promise((res) => setTimeout(res, 25));
    }

    let saving = true;
    const statuses: number[] = [];
    // Requests that read the database (PostgREST) and the blob store (a cached streams key).
    const key = serve.tokenFor(0, 'service_role');
    const rest = `${serve.url}/rest/v1/backfill_jobs?select=id,status,pages_fetched&athlete_id=eq.${DEMO_ATHLETE_ID}`;
    const traffic = Array.from({ length: 4 }, async () => {
      while (saving) statuses.push((await fetch(rest, { headers: { apikey: key, ...bearer(key) } })).status);
    });
    const file = join(scratch, 'during-backfill.tar.gz');
    const result = await snapshotsApi({ action: 'save', file });
    saving = false;
    await Promise.all(traffic);
    expect(result.status).toBe(200);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    saved = { file };

    serve.fakeStrava!.setFaults({});
    expect((await waitForJob(serve.url, jobId, 120_000)).status).toBe('succeeded');

    // Loaded elsewhere: the job was mid-way, and its checkpoint matches the activities present.
    const elsewhere = join(scratch, 'consistency');
    await loadSnapshot(restingState(elsewhere, TEST_SECRET), file);
    await withDatabase(elsewhere, async (sql) => {
      const { rows } = await sql.query<{ status: string; activities_upserted: number; pages_fetched: number; checkpoint: { page: number } }>(
        'select status, activities_upserted, pages_fetched, checkpoint from public.backfill_jobs where id = $1',
        [jobId],
      );
      expect(rows).toHaveLength(1);
      const job = rows[0]!;
      expect(['queued', 'running']).toContain(job.status);
      expect(job.checkpoint.page).toBe(job.pages_fetched + 1);
      expect(await countActivities(sql)).toBe(job.activities_upserted);
    });
  }, 240_000);

  it('load over a running serve swaps the state back; requests keep working', async () => {
    const before = await countActivities(serve.sql);
    expect(before).toBeGreaterThan(150); // the backfill finished after the save
    // State made after the save: a table and a blob the snapshot does not have.
    await serve.sql.exec('create table public.made_after_the_save (x int)');
    await serve.blobs.store('test').set('made-after-the-save', 'x');
    // A Postgres socket client connected across the load (the database is swapped on its thread, under the socket).
    const psql = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${serve.pgPort}/postgres` });
    await psql.connect();
    const madeAfter = `select to_regclass('public.made_after_the_save')::text as t`;
    try {
      expect((await psql.query(madeAfter)).rows[0].t).toBe('made_after_the_save');
      const r = await runCli(['snapshot', 'load', '--file', saved.file, '--json', '--data-dir', serve.dataDir]);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ action: 'load', running: true });
      expect((await psql.query(madeAfter)).rows[0].t).toBeNull();
    } finally {
      await psql.end();
    }
    const { rows } = await serve.sql.query<{ t: string | null }>(madeAfter);
    expect(rows[0]!.t).toBeNull();
    expect(await serve.blobs.store('test').get('made-after-the-save')).toBeNull();
    const res = await fetch(`${serve.url}/api/activities?limit=1`, { headers: bearer(serve.tokenFor(DEMO_ATHLETE_ID)) });
    expect(res.status).toBe(200);
    // The backfill the snapshot caught mid-way resumes, as at a start, and finishes.
    for (let i = 0; i < 600; i++) {
      const { rows: jobs } = await serve.sql.query<{ status: string }>('select status from public.backfill_jobs where athlete_id = $1', [DEMO_ATHLETE_ID]);
      if (jobs[0]?.status === 'succeeded') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(await countActivities(serve.sql)).toBe(before);
  }, 120_000);

  it('a truncated file is refused before anything is touched; the old state is intact', async () => {
    const truncated = join(scratch, 'truncated.tar.gz');
    copyFileSync(saved.file, truncated);
    truncateSync(truncated, Math.floor(statSync(truncated).size / 2));
    const before = await withDatabaseOf(serve);
    const r = await runCli(['snapshot', 'load', '--file', truncated, '--data-dir', serve.dataDir]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('is not a complete veloready snapshot');
    expect(await withDatabaseOf(serve)).toBe(before);
    expect((await fetch(`${serve.url}/api/activities?limit=1`, { headers: bearer(serve.tokenFor(DEMO_ATHLETE_ID)) })).status).toBe(200);
    // Nothing left behind in the data dir either.
    expect(readdirSync(serve.dataDir).filter((n) => n.startsWith('.snapshot-') || n.includes('.replaced-'))).toEqual([]);
  }, 60_000);

  it('a snapshot loaded in another folder answers with the same tokens (serve --import)', async () => {
    const file = join(scratch, 'shared.tar.gz');
    expect((await snapshotsApi({ action: 'save', file })).status).toBe(200);
    const token = serve.tokenFor(DEMO_ATHLETE_ID);
    const exported = join(scratch, 'exported-on-exit.tar.gz');
    const other = await startTestServe({ dataDir: join(scratch, 'teammate'), jwtSecret: OTHER_SECRET, importSnapshot: file, exportOnExit: exported });
    try {
      const res = await fetch(`${other.url}/api/activities?limit=2`, { headers: bearer(token) });
      expect(res.status).toBe(200);
      const mine = await (await fetch(`${serve.url}/api/activities?limit=2`, { headers: bearer(token) })).json();
      expect(await res.json()).toEqual(mine);
    } finally {
      await other.stop();
    }
    // --export-on-exit saved the teammate's state as serve stopped.
    const reloaded = join(scratch, 'from-export');
    const load = await loadSnapshot(restingState(reloaded, OTHER_SECRET), exported);
    expect(load.manifest.migrationVersion).toBe(shippedMigrationVersion());
    // (The teammate's serve also resumed the backfill the snapshot caught mid-way: at least as many rides.)
    expect(await withDatabase(reloaded, countActivities)).toBeGreaterThanOrEqual(await countActivities(serve.sql));
    // It carries the secret it was started from (the shared snapshot's), not OTHER_SECRET.
    expect(JSON.parse(readFileSync(join(reloaded, 'secrets.json'), 'utf8')).jwtSecret).toBe(TEST_SECRET);
  }, 180_000);
});

const withDatabaseOf = (s: TestServe): Promise<number> => countActivities(s.sql);

describe('snapshots at rest', () => {
  it('an older-version snapshot is migrated forward; a newer one is refused', async () => {
    // A data dir whose schema stops before the newest migration.
    const older = mkdtempSync(join(tmpdir(), 'vr-older-migrations-'));
    const files = readdirSync(defaultMigrationsDir()).filter((f) => f.endsWith('.sql')).sort();
    for (const f of files.slice(0, -1)) copyFileSync(join(defaultMigrationsDir(), f), join(older, f));
    const oldDir = await migratedDataDir(older);
    const file = join(scratch, 'older.tar.gz');
    const save = await saveSnapshot(restingState(oldDir, TEST_SECRET), file);
    expect(save.manifest.migrationVersion).toBe(files.at(-2)!.split('_')[0]);

    const target = join(scratch, 'upgraded');
    const load = await loadSnapshot(restingState(target, TEST_SECRET), file);
    expect(load.migratedFrom).toBe(files.at(-2)!.split('_')[0]);
    expect(load.migratedTo).toBe(shippedMigrationVersion());

    // The same file claiming a newer schema than this veloready ships.
    const unpacked = mkdtempSync(join(tmpdir(), 'vr-newer-'));
    await tar.x({ file, cwd: unpacked });
    const manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8'));
    writeFileSync(join(unpacked, 'manifest.json'), JSON.stringify({ ...manifest, migrationVersion: '99990101000000' }));
    const newer = join(scratch, 'newer.tar.gz');
    await tar.c({ gzip: true, file: newer, cwd: unpacked }, readdirSync(unpacked));
    const r = await runCli(['snapshot', 'load', '--file', newer, '--data-dir', target]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/migration 99990101000000, newer than this veloready's/);
  }, 180_000);

  it("records the database's migration version right whether or not it was closed cleanly since its last record", async () => {
    const dataDir = await migratedDataDir();
    const file = join(scratch, 'closed-state.tar.gz');
    const sidecar = join(dataDir, CLOSED_STATE_FILE);
    await withDatabase(dataDir, async () => undefined); // a clean close records the version beside pg_control's hash
    const recorded = JSON.parse(readFileSync(sidecar, 'utf8')) as { migrationVersion: string; pgControlSha256: string };
    expect(recorded.migrationVersion).toBe(shippedMigrationVersion());

    // A record left before a crash (pg_control has changed since): not trusted, the database is opened.
    writeFileSync(sidecar, JSON.stringify({ migrationVersion: '20200101000000', pgControlSha256: 'f'.repeat(64) }));
    expect((await saveSnapshot(restingState(dataDir, TEST_SECRET), file)).manifest.migrationVersion).toBe(shippedMigrationVersion());
    // That open's clean close recorded again; a record that matches pg_control is taken as it is
    // (Postgres is not started for it).
    const rerecorded = JSON.parse(readFileSync(sidecar, 'utf8')) as typeof recorded;
    expect(rerecorded).toEqual({ migrationVersion: shippedMigrationVersion(), pgControlSha256: expect.not.stringMatching(recorded.pgControlSha256) });
    writeFileSync(sidecar, JSON.stringify({ ...rerecorded, migrationVersion: '20200101000000' }));
    expect((await saveSnapshot(restingState(dataDir, TEST_SECRET), file)).manifest.migrationVersion).toBe('20200101000000');
  }, 120_000);

  it('a snapshot holding a link, or a path out of its folder, is refused before anything is written', async () => {
    const target = join(scratch, 'hostile-target');
    // A symbolic link inside pg/ (to somewhere else on the machine).
    const linked = mkdtempSync(join(tmpdir(), 'vr-hostile-'));
    mkdirSync(join(linked, 'pg'));
    symlinkSync('/etc', join(linked, 'pg', 'evil'));
    writeFileSync(join(linked, 'manifest.json'), JSON.stringify({ format: 1, migrationVersion: '0', files: [] }));
    const withLink = join(scratch, 'with-link.tar.gz');
    await tar.c({ gzip: true, file: withLink, cwd: linked }, ['manifest.json', 'pg']);
    // An entry named ../escape.
    const escaping = join(scratch, 'escaping.tar.gz');
    const archive = createArchive(escaping);
    archive.add({ path: '../escape', data: Buffer.from('x') });
    archive.add({ path: 'manifest.json', data: Buffer.from(JSON.stringify({ format: 1, migrationVersion: '0', files: [] })) });
    await archive.finish();

    for (const [file, why] of [[withLink, 'SymbolicLink entry'], [escaping, 'unsafe entry path "../escape"']] as const) {
      await expect(loadSnapshot(restingState(target, TEST_SECRET), file)).rejects.toMatchObject({ code: 'SNAPSHOT_CORRUPT', message: expect.stringContaining(why) });
    }
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(scratch, 'escape'))).toBe(false);
  });

  it('snapshot ls / rm, and bad names are usage errors', async () => {
    const dataDir = join(scratch, 'named');
    copyFileSync(saved.file, join(scratch, 'copy.tar.gz'));
    const save = await runCli(['snapshot', 'load', '--file', join(scratch, 'copy.tar.gz'), '--data-dir', dataDir]);
    expect(save.exitCode).toBe(0);
    const made = await runCli(['snapshot', 'save', 'first', '--json', '--data-dir', dataDir]);
    expect(made.exitCode).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ action: 'save', running: false, manifest: { veloreadyVersion: expect.any(String) } });
    const ls = await runCli(['snapshot', 'ls', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(ls.stdout).snapshots.map((s: { name: string }) => s.name)).toEqual(['first']);
    expect((await runCli(['snapshot', 'rm', 'first', '--data-dir', dataDir])).exitCode).toBe(0);
    expect(JSON.parse((await runCli(['snapshot', 'ls', '--json', '--data-dir', dataDir])).stdout).snapshots).toEqual([]);
    const bad = await runCli(['snapshot', 'save', '../escape', '--data-dir', dataDir]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('invalid snapshot name');
  }, 120_000);
});
