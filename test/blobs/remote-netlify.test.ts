import { existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getStore, type Store } from '@netlify/blobs';
import { BlobsServer } from '@netlify/blobs/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listCache, purgeCache } from '../../src/blobs/cache-admin.js';
import { openNetlifyBlobs } from '../../src/blobs/remote.js';
import { startBlobsServer } from '../../src/blobs/server.js';
import { openSqliteBlobs } from '../../src/blobs/sqlite.js';
import { CACHE_STORE } from '../../src/cache/keys.js';
import { ManualClock } from '../../src/clock.js';
import { runCli } from '../helpers/cli.js';
import { startProbe, type Probe } from './http-probe.js';

/**
 * The remote store against Netlify's own BlobsServer (`@netlify/blobs/server`, the server the
 * official client is tested with) and against ours, each with the official client as the peer.
 */
const SITE = 'site-1';
const TOKEN = 'token-1';
const MINUTE = 60_000;
const ROOT = resolve(import.meta.dirname, '../..');

interface Backend {
  url: string;
  /** Makes an entry's write time `ms` earlier than it was (BlobsServer: the file's mtime). */
  age?: (key: string, ms: number) => void;
  close(): Promise<void>;
}

async function netlifyServer(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'vr-netlify-blobs-'));
  const server = new BlobsServer({ directory: dir, token: TOKEN });
  const { port } = await server.start();
  return {
    url: `http://127.0.0.1:${port}`,
    age(key, ms) {
      const file = join(dir, 'entries', SITE, `site:${CACHE_STORE}`, ...key.split('/'));
      const then = new Date(Date.now() - ms);
      utimesSync(file, then, then);
    },
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function ourServer(): Promise<Backend> {
  const blobs = openSqliteBlobs({ path: ':memory:', sweepIntervalMs: 0 });
  const server = await startBlobsServer({ blobs, token: TOKEN, siteID: SITE });
  return {
    url: server.url,
    async close() {
      await server.close();
      await blobs.close();
    },
  };
}

const officialAt = (url: string): Store => getStore({ name: CACHE_STORE, siteID: SITE, token: TOKEN, apiURL: url });
/** A remote store whose clock runs `aheadMs` in the future, so entries written now look old. */
const remoteAt = (url: string, aheadMs = 0, concurrency?: number) =>
  openNetlifyBlobs({ siteID: SITE, token: TOKEN, apiURL: url, clock: new ManualClock(Date.now() + aheadMs), maxRetries: 0, concurrency });

for (const [label, start] of [
  ["Netlify's BlobsServer", netlifyServer],
  ['our server', ourServer],
] as const) {
  describe(`remote store ↔ official client over ${label}`, () => {
    let backend: Backend;
    beforeAll(async () => {
      backend = await start();
    });
    afterAll(() => backend.close());

    it('each reads what the other wrote, keys with ":" and "/" included', async () => {
      const official = officialAt(backend.url);
      const remote = remoteAt(backend.url);
      const s = remote.store(CACHE_STORE);
      try {
        await s.setJSON('activities:6', [{ id: 6 }]);
        await s.set('dir/sub:7@x', 'from remote');
        expect(await official.get('activities:6', { type: 'json' })).toEqual([{ id: 6 }]);
        expect(await official.get('dir/sub:7@x')).toBe('from remote');

        await official.setJSON('streams:6:9', { w: [1] });
        await official.set('other/key:1', 'from official');
        expect(await s.getJSON('streams:6:9')).toEqual({ w: [1] });
        expect(Buffer.from((await s.get('other/key:1'))!).toString()).toBe('from official');
        expect((await s.list()).blobs.map((b) => b.key).sort()).toEqual(['activities:6', 'dir/sub:7@x', 'other/key:1', 'streams:6:9']);
        expect((await official.list()).blobs.map((b) => b.key).sort()).toEqual(['activities:6', 'dir/sub:7@x', 'other/key:1', 'streams:6:9']);
      } finally {
        await remote.close();
        for (const { key } of (await official.list()).blobs) await official.delete(key);
      }
    });

    it('an entry the official client wrote with metadata.ttl is expired once the ttl has passed, and purge --expired removes only it', async () => {
      const official = officialAt(backend.url);
      await official.setJSON('activities:1', [1], { metadata: { ttl: 60 } });
      await official.setJSON('activities:2', [2]);
      const remote = remoteAt(backend.url, 2 * MINUTE);
      try {
        const now = Date.now() + 2 * MINUTE;
        const listed = await listCache(remote, { store: CACHE_STORE }, now);
        expect(Object.fromEntries(listed.map((e) => [e.key, e.expired]))).toEqual({ 'activities:1': true, 'activities:2': false });
        expect(listed.every((e) => e.updatedAt !== null && e.updatedAt <= Date.now())).toBe(true);
        expect((await remote.store(CACHE_STORE).list()).blobs.map((b) => b.key)).toEqual(['activities:2']);

        const purged = await purgeCache(remote, { store: CACHE_STORE, expired: true }, now);
        expect(purged.keys.map((k) => k.key)).toEqual(['activities:1']);
        expect(await official.get('activities:1')).toBeNull();
        expect(await official.get('activities:2', { type: 'json' })).toEqual([2]);
      } finally {
        await remote.close();
        await official.delete('activities:2');
      }
    });
  });
}

describe("the remote store's list against Netlify's BlobsServer", () => {
  let backend: Backend;
  let probe: Probe | undefined;
  beforeAll(async () => {
    backend = await netlifyServer();
    const official = officialAt(backend.url);
    await official.setJSON('activities:1', [1], { metadata: { ttl: 60 } });
    for (let i = 0; i < 11; i++) await official.set(`streams:1:${i}`, `${i}`);
  });
  afterEach(async () => {
    await probe?.close();
    probe = undefined;
  });
  afterAll(() => backend.close());

  it('sends one HEAD per listed key for its metadata, never more than its concurrency at once', async () => {
    probe = await startProbe(backend.url, { delayMs: 20 });
    const remote = remoteAt(probe.url, 0, 3);
    try {
      const page = await remote.store(CACHE_STORE).list({ includeExpired: true });
      expect(page.blobs).toHaveLength(12);
      expect(probe.requests.filter((r) => r.method === 'HEAD')).toHaveLength(12);
      expect(probe.maxInFlight).toBe(3);
    } finally {
      await remote.close();
    }
  });

  it('keeps a write time the server does not report unknown: no age, never --older-than, no ttl expiry', async () => {
    probe = await startProbe(backend.url, { rewriteListedBlob: ({ last_modified: _, ...rest }) => rest });
    const remote = remoteAt(probe.url, 365 * 24 * 60 * MINUTE);
    try {
      const now = Date.now() + 365 * 24 * 60 * MINUTE;
      const listed = await listCache(remote, { store: CACHE_STORE }, now);
      expect(listed).toHaveLength(12);
      expect(listed.every((e) => e.updatedAt === null && !e.expired)).toBe(true);
      const purge = await purgeCache(remote, { store: CACHE_STORE, olderThanSeconds: 60 }, now);
      expect(purge).toMatchObject({ keys: [], unknownAge: 12 });
      expect(await officialAt(backend.url).get('streams:1:0')).toBe('0');
    } finally {
      await remote.close();
    }
  });
});

describe('the remote store learns what a list page leaves out from HEAD, and only then', () => {
  it('with expires_at in the list (our server) it sends no HEAD; without last_modified or expires_at it reads both from HEAD', async () => {
    const backend = await ourServer();
    const official = officialAt(backend.url);
    await official.setJSON('activities:1', [1], { metadata: { ttl: 60 } });
    const plain = await startProbe(backend.url);
    const stripped = await startProbe(backend.url, { rewriteListedBlob: ({ last_modified: _l, expires_at: _e, ...rest }) => rest });
    const direct = remoteAt(plain.url, 2 * MINUTE);
    const viaHead = remoteAt(stripped.url, 2 * MINUTE);
    try {
      const now = Date.now() + 2 * MINUTE;
      for (const [remote, probe, heads] of [
        [direct, plain, 0],
        [viaHead, stripped, 1],
      ] as const) {
        const [entry] = await listCache(remote, { store: CACHE_STORE }, now);
        expect(entry).toMatchObject({ key: 'activities:1', expired: true, updatedAt: expect.any(Number) });
        expect(probe.requests.filter((r) => r.method === 'HEAD')).toHaveLength(heads);
      }
    } finally {
      await direct.close();
      await viaHead.close();
      await plain.close();
      await stripped.close();
      await backend.close();
    }
  });
});

describe.skipIf(!existsSync(join(ROOT, 'dist/commands/cache.js')))("veloready cache --target netlify against Netlify's BlobsServer (built CLI)", () => {
  let backend: Backend;
  let probe: Probe;
  // --store: BlobsServer does not answer the API form's site-level "list stores" request.
  const cli = (args: string[], apiURL = backend.url) =>
    runCli(['cache', ...args, '--store', CACHE_STORE, '--target', 'netlify', '--api-url', apiURL], {
      cwd: ROOT,
      env: { NO_COLOR: '1', NETLIFY_SITE_ID: SITE, NETLIFY_AUTH_TOKEN: TOKEN },
    });
  beforeAll(async () => {
    backend = await netlifyServer();
    probe = await startProbe(backend.url, { rewriteListedBlob: ({ last_modified: _, ...rest }) => rest });
    const official = officialAt(backend.url);
    await official.setJSON('activities:1', [1], { metadata: { ttl: 60 } });
    await official.setJSON('activities:2', [2], { metadata: { ttl: 86_400 } });
    backend.age!('activities:1', 10 * MINUTE);
    backend.age!('activities:2', 10 * MINUTE);
  });
  afterAll(async () => {
    await probe.close();
    await backend.close();
  });

  it('ls shows the ttl entry written 10 minutes ago as expired, and purge --expired removes it', async () => {
    const ls = await cli(['ls']);
    expect(ls.exitCode).toBe(0);
    expect(ls.stdout).toMatch(/activities:1\s+\S+ B\s+10m( \d+s)?\s+expired/);
    expect(ls.stdout).toMatch(/activities:2\s+\S+ B\s+10m( \d+s)?\s+in 23h/);
    const purge = await cli(['purge', '--expired', '--json']);
    expect(JSON.parse(purge.stdout)).toMatchObject({ removed: 1, keys: [{ key: 'activities:1' }] });
    expect(await officialAt(backend.url).get('activities:1')).toBeNull();
  });

  it('when the server does not say when keys were written, ls shows "—" and says so; purge --older-than keeps them and says so', async () => {
    const ls = await cli(['ls'], probe.url);
    expect(ls.exitCode).toBe(0);
    expect(ls.stdout).toMatch(/activities:2\s+\S+ B\s+—/);
    expect(ls.stdout).toMatch(/the server did not say when 1 key\(s\) were written/);
    const purge = await cli(['purge', '--older-than', '1s'], probe.url);
    expect(purge.exitCode).toBe(0);
    expect(purge.stdout).toMatch(/removed 0 key\(s\)/);
    expect(purge.stdout).toMatch(/kept 1 key\(s\) of unknown age/);
  });
});
