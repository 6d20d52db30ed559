import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getStore } from '@netlify/blobs';
import { BlobsServer } from '@netlify/blobs/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteBlobs } from '../../src/blobs/sqlite.js';
import { CACHE_STORE } from '../../src/cache/keys.js';
import { runCli, scratchDir } from '../helpers/cli.js';

const SITE = 'site-1';
const TOKEN = 'token-1';

describe('cache set / cache rm on the local store', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = join(scratchDir('vr-cache-set-'), '.veloready');
    // A local target must exist: an empty store, as serve would have made it.
    const blobs = openSqliteBlobs({ path: join(dataDir, 'blobs.sqlite') });
    await blobs.close();
  });
  const cli = (args: string[]) => runCli(['--data-dir', dataDir, 'cache', ...args]);

  it('set writes a function-cache key the way the functions do (their envelope, its TTL), get reads it back, rm deletes it', async () => {
    const set = await cli(['--json', 'set', 'activities:104662', '{"activities":[{"id":1}]}', '--ttl', '10m']);
    expect(set.exitCode, set.stderr).toBe(0);
    const written = JSON.parse(set.stdout);
    expect(written).toMatchObject({ store: CACHE_STORE, key: 'activities:104662', envelope: true });
    expect(Date.parse(written.expiresAt) - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(Date.parse(written.expiresAt) - Date.now()).toBeLessThanOrEqual(10 * 60_000);

    const get = await cli(['--json', 'get', 'activities:104662']);
    expect(JSON.parse(get.stdout).value).toMatchObject({ value: { activities: [{ id: 1 }] }, expiresAt: Date.parse(written.expiresAt) });
    const ls = await cli(['ls']);
    expect(ls.stdout).toMatch(/activities:104662 .* in (9m|10m)/);

    const rm = await cli(['rm', 'activities:104662']);
    expect(rm.exitCode, rm.stderr).toBe(0);
    expect(rm.stdout).toContain(`removed ${CACHE_STORE}  activities:104662`);
    expect((await cli(['get', 'activities:104662'])).exitCode).toBe(1);
  });

  it('any other key is stored as given; a function key with a value that is not JSON is bad usage', async () => {
    expect((await cli(['set', 'note', 'plain text', '--store', 'misc'])).exitCode).toBe(0);
    expect((await cli(['get', 'note', '--store', 'misc'])).stdout.trim()).toBe('plain text');
    const bad = await cli(['set', 'activities:1', 'not json']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('is read by the functions as JSON');
  });

  it('rm of a key that is not there is exit 1 with a hint', async () => {
    const r = await cli(['rm', 'activities:999']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error: no entry "activities:999" in store veloready-cache');
  });
});

describe("cache set / cache rm --target netlify against Netlify's BlobsServer", () => {
  let server: BlobsServer;
  let dir: string;
  let url: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vr-netlify-set-'));
    server = new BlobsServer({ directory: dir, token: TOKEN });
    url = `http://127.0.0.1:${(await server.start()).port}`;
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const cli = (args: string[]) =>
    runCli(['cache', ...args, '--target', 'netlify', '--api-url', url], { cwd: scratchDir('vr-netlify-set-'), env: { NETLIFY_SITE_ID: SITE, NETLIFY_AUTH_TOKEN: TOKEN } });

  it('what set writes the official client reads; what rm deletes is gone for it', async () => {
    const set = await cli(['set', 'streams:1:2', '{"watts":[100,200]}']);
    expect(set.exitCode, set.stderr).toBe(0);
    expect(set.stderr).toContain('target: netlify');
    const official = getStore({ name: CACHE_STORE, siteID: SITE, token: TOKEN, apiURL: url });
    const stored = (await official.get('streams:1:2', { type: 'json' })) as { value: unknown; expiresAt: number };
    expect(stored.value).toEqual({ watts: [100, 200] });
    expect(stored.expiresAt - Date.now()).toBeGreaterThan(23 * 3600_000);

    const rm = await cli(['rm', 'streams:1:2', '--store', CACHE_STORE]);
    expect(rm.exitCode, rm.stderr).toBe(0);
    expect(await official.get('streams:1:2')).toBeNull();
  });
});
