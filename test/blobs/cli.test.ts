import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { getStore } from '@netlify/blobs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activitiesKey, briefKey, CACHE_STORE, streamsKey } from '../../src/cache/keys.js';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { startBlobsServer, type StandaloneBlobsServer } from '../../src/blobs/server.js';
import { openSqliteBlobs, type SqliteBlobs } from '../../src/blobs/sqlite.js';
import { BIN, cliEnv, runCli } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const built = existsSync(join(ROOT, 'dist/commands/cache.js'));

async function seed(blobs: SqliteBlobs): Promise<void> {
  const s = blobs.store(CACHE_STORE);
  await s.setJSON(activitiesKey(1), [{ id: 1 }], { metadata: { ttl: 86_400 } });
  await s.setJSON(streamsKey(1, 5), { w: [1] });
  await s.setJSON(briefKey(userIdForAthlete(1), '2026-01-01'), { text: 'ride' });
  await s.setJSON(activitiesKey(10), [{ id: 10 }]);
  await s.setJSON(streamsKey(10, 6), { w: [2] });
}

const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { cwd: ROOT, env: { NO_COLOR: '1', ...env } });

describe.skipIf(!built)('veloready cache (built CLI)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'veloready-cli-cache-'));
    const blobs = openSqliteBlobs({ path: join(dataDir, 'blobs.sqlite'), sweepIntervalMs: 0 });
    await seed(blobs);
    await blobs.close();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("purge --athlete 1 removes athlete 1's three keys and leaves athlete 10's", async () => {
    const purge = await cli(['cache', 'purge', '--athlete', '1', '--json', '--data-dir', dataDir]);
    expect(purge.exitCode).toBe(0);
    const result = JSON.parse(purge.stdout) as { removed: number; bytes: number; target: string };
    expect(result).toMatchObject({ removed: 3, target: expect.stringMatching(/^local \(/) });
    expect(result.bytes).toBeGreaterThan(0);
    const ls = await cli(['cache', 'ls', '--json', '--data-dir', dataDir]);
    expect((JSON.parse(ls.stdout) as { keys: Array<{ key: string }> }).keys.map((k) => k.key).sort()).toEqual(
      [activitiesKey(10), streamsKey(10, 6)].sort(),
    );
  });

  it('purge --all refuses without --yes when not on a terminal, and says the target on stderr', async () => {
    const res = await cli(['cache', 'purge', '--all', '--data-dir', dataDir]);
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/--yes/);
    const stats = await cli(['cache', 'stats', '--data-dir', dataDir]);
    expect(stats.exitCode).toBe(0);
    expect(stats.stderr).toMatch(/target: local/);
    expect(stats.stdout).toMatch(/activities\s+1/);
  });

  it('get prints the JSON value; a missing key exits 1 with a hint', async () => {
    const ok = await cli(['cache', 'get', activitiesKey(10), '--data-dir', dataDir]);
    expect(JSON.parse(ok.stdout)).toEqual([{ id: 10 }]);
    const missing = await cli(['cache', 'get', 'activities:424242', '--data-dir', dataDir]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/cache ls/);
  });

  describe('--target netlify', () => {
    let blobs: SqliteBlobs;
    let server: StandaloneBlobsServer;
    beforeAll(async () => {
      blobs = openSqliteBlobs({ path: ':memory:', sweepIntervalMs: 0 });
      await seed(blobs);
      server = await startBlobsServer({ blobs, token: 'nf-token', siteID: 'nf-site' });
    });
    afterAll(async () => {
      await server.close();
      await blobs.close();
    });

    it('purges through the Netlify Blobs API named by --api-url and NETLIFY_SITE_ID / NETLIFY_AUTH_TOKEN', async () => {
      const env = { NETLIFY_SITE_ID: 'nf-site', NETLIFY_AUTH_TOKEN: 'nf-token' };
      const res = await cli(['cache', 'purge', '--kind', 'streams', '--target', 'netlify', '--api-url', server.url, '--json'], env);
      expect(res.exitCode).toBe(0);
      expect(JSON.parse(res.stdout)).toMatchObject({ removed: 2, target: expect.stringMatching(/^netlify \(site nf-site/) });
      expect(res.stdout).not.toContain('nf-token');
      expect((await blobs.store(CACHE_STORE).list()).blobs.map((b) => b.key).sort()).toEqual(
        [activitiesKey(1), activitiesKey(10), briefKey(userIdForAthlete(1), '2026-01-01')].sort(),
      );
    });
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe.skipIf(!built)('veloready blobs serve (built CLI)', () => {
  it('serves the data dir to the official client configured from the printed NETLIFY_BLOBS_CONTEXT', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'veloready-cli-blobs-'));
    const child = execa('node', ['--', BIN, 'blobs', 'serve', '--port', String(await freePort()), '--json', '--data-dir', dataDir], {
      cwd: ROOT,
      reject: false,
      extendEnv: false,
      env: cliEnv(),
    });
    try {
      const printed = await new Promise<{ NETLIFY_BLOBS_CONTEXT: string }>((resolveLine, fail) => {
        let buf = '';
        child.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          try {
            resolveLine(JSON.parse(buf) as { NETLIFY_BLOBS_CONTEXT: string });
          } catch {
            // wait for the rest of the document
          }
        });
        void child.then((r) => fail(new Error(`blobs serve exited: ${r.stderr}`)));
      });
      const ctx = JSON.parse(Buffer.from(printed.NETLIFY_BLOBS_CONTEXT, 'base64').toString()) as Record<string, string>;
      const store = getStore({ name: CACHE_STORE, siteID: ctx.siteID!, token: ctx.token!, edgeURL: ctx.edgeURL! });
      await store.setJSON(activitiesKey(7), [{ id: 7 }]);
      expect(await store.get(activitiesKey(7), { type: 'json' })).toEqual([{ id: 7 }]);
    } finally {
      child.kill('SIGTERM');
      await child;
    }
    const ls = await cli(['cache', 'ls', '--json', '--data-dir', dataDir]);
    expect((JSON.parse(ls.stdout) as { keys: Array<{ key: string }> }).keys.map((k) => k.key)).toEqual([activitiesKey(7)]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says the port is taken, without a stack trace, when another server holds it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'veloready-cli-blobs-'));
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const { port } = holder.address() as { port: number };
    try {
      const r = await cli(['blobs', 'serve', '--port', String(port), '--data-dir', dataDir]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
