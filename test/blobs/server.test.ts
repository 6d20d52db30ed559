import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getDeployStore, getStore, listStores } from '@netlify/blobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { BLOBS_CONTEXT_ENV, encodeBlobsContext } from '../../src/blobs/context.js';
import { openNetlifyBlobs } from '../../src/blobs/remote.js';
import { createBlobsHandler, startBlobsServer, type StandaloneBlobsServer } from '../../src/blobs/server.js';
import { openSqliteBlobs, type SqliteBlobs } from '../../src/blobs/sqlite.js';

const SITE = 'site-9';
const TOKEN = 'tok-123';
const auth = { authorization: `Bearer ${TOKEN}` };
let blobs: SqliteBlobs;
let server: StandaloneBlobsServer;
const clock = new ManualClock(Date.UTC(2026, 0, 1));

beforeAll(async () => {
  blobs = openSqliteBlobs({ path: ':memory:', clock, sweepIntervalMs: 0 });
  server = await startBlobsServer({ blobs, token: TOKEN, siteID: SITE, pageSize: 2 });
});
afterAll(async () => {
  await server.close();
  await blobs.close();
});

const edge = (path: string) => `${server.url}/${SITE}/site:proto/${path}`;

describe('Netlify Blobs protocol server', () => {
  it('answers 403 with a JSON error for a missing or wrong token', async () => {
    const res = await fetch(edge('k'), { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
    expect((await fetch(edge('k'))).status).toBe(403);
  });

  it('stores metadata from x-amz-meta-user and returns it with the ETag on GET and HEAD', async () => {
    const meta = `b64;${Buffer.from(JSON.stringify({ ttl: 60, v: 'é' })).toString('base64')}`;
    const put = await fetch(edge('m'), { method: 'PUT', headers: { ...auth, 'x-amz-meta-user': meta }, body: 'hi' });
    expect(put.status).toBe(200);
    const etag = put.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    const head = await fetch(edge('m'), { method: 'HEAD', headers: auth });
    expect(head.headers.get('etag')).toBe(etag);
    expect(head.headers.get('x-amz-meta-user')).toBe(meta);
    const notModified = await fetch(edge('m'), { headers: { ...auth, 'if-none-match': etag! } });
    expect(notModified.status).toBe(304);
  });

  it('answers 412 to a failed if-match or if-none-match: *', async () => {
    await fetch(edge('c'), { method: 'PUT', headers: auth, body: '1' });
    expect((await fetch(edge('c'), { method: 'PUT', headers: { ...auth, 'if-none-match': '*' }, body: '2' })).status).toBe(412);
    expect((await fetch(edge('c'), { method: 'PUT', headers: { ...auth, 'if-match': '"stale"' }, body: '2' })).status).toBe(412);
  });

  it('answers the API form with a signed URL that works without the token, and refuses a forged one', async () => {
    const signedURL = async (method: string) => {
      const res = await fetch(`${server.url}/api/v1/blobs/${SITE}/site:proto/signed/key`, {
        method,
        headers: { ...auth, accept: 'application/json;type=signed-url' },
      });
      return ((await res.json()) as { url: string }).url;
    };
    const url = await signedURL('PUT');
    expect(url).toContain('signature=');
    expect((await fetch(url, { method: 'PUT', body: 'via signed url' })).status).toBe(200);
    const readURL = await signedURL('GET');
    expect(await (await fetch(readURL)).text()).toBe('via signed url');
    const forged = new URL(url);
    const signature = forged.searchParams.get('signature')!;
    forged.searchParams.set('signature', (signature[0] === '0' ? '1' : '0') + signature.slice(1));
    expect((await fetch(forged, { method: 'PUT', body: 'x' })).status).toBe(403);
    expect((await fetch(url.replace('signed/key', 'other'), { method: 'PUT', body: 'x' })).status).toBe(403);
  });

  it('binds a signed URL to its method and its expiry', async () => {
    const res = await fetch(`${server.url}/api/v1/blobs/${SITE}/site:proto/bound`, {
      headers: { ...auth, accept: 'application/json;type=signed-url' },
    });
    const { url } = (await res.json()) as { url: string };
    const expires = Number(new URL(url).searchParams.get('expires'));
    expect(expires * 1000).toBeGreaterThan(Date.now());
    // A URL signed for a read cannot write or delete.
    expect((await fetch(url, { method: 'PUT', body: 'overwrite' })).status).toBe(403);
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(403);
    // Nor can its expiry be pushed back.
    expect((await fetch(url.replace(`expires=${expires}`, `expires=${expires + 3600}`))).status).toBe(403);
    const stale = new URL(url);
    stale.searchParams.set('expires', String(Math.floor(Date.now() / 1000) - 1));
    expect((await fetch(stale)).status).toBe(403);
    expect((await fetch(url)).status).toBe(404);
  });

  it('pages lists with next_cursor and reports etag, size and last_modified', async () => {
    for (const k of ['p/1', 'p/2', 'p/3']) await fetch(edge(k), { method: 'PUT', headers: auth, body: k });
    const first = (await (await fetch(`${server.url}/${SITE}/site:proto?prefix=p/`, { headers: auth })).json()) as {
      blobs: Array<Record<string, unknown>>;
      next_cursor?: string;
    };
    expect(first.blobs).toHaveLength(2);
    expect(first.blobs[0]).toMatchObject({ key: 'p/1', size: 3, etag: expect.any(String), last_modified: expect.any(String) });
    const second = (await (
      await fetch(`${server.url}/${SITE}/site:proto?prefix=p/&cursor=${first.next_cursor}`, { headers: auth })
    ).json()) as { blobs: Array<{ key: string }>; next_cursor?: string };
    expect(second.blobs.map((b) => b.key)).toEqual(['p/3']);
    expect(second.next_cursor).toBeUndefined();
  });

  it('answers 400, not 500, to an invalid key or malformed metadata', async () => {
    const long = await fetch(edge('x'.repeat(601)), { method: 'PUT', headers: auth, body: '1' });
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: { code: string } }).error.code).toBe('INVALID_BLOB_KEY');
    const bad = await fetch(edge('meta'), { method: 'PUT', headers: { ...auth, 'x-amz-meta-user': 'b64;!!!notjson' }, body: '1' });
    expect(bad.status).toBe(400);
  });

  it('refuses metadata over the client\'s 2 KiB limit with 400 and stores nothing', async () => {
    const meta = `b64;${Buffer.from(JSON.stringify({ pad: 'x'.repeat(2048) })).toString('base64')}`;
    const res = await fetch(edge('big-meta'), { method: 'PUT', headers: { ...auth, 'x-amz-meta-user': meta }, body: '1' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('METADATA_TOO_LARGE');
    expect(await blobs.store('proto').get('big-meta')).toBeNull();
  });

  it('round-trips keys with %, spaces and non-ASCII through the official client, in both forms, as written', async () => {
    const keys = ['100%', '50%25', 'a b/ü:1', '%zz'];
    for (const form of [{ edgeURL: server.url }, { apiURL: server.url }]) {
      const store = getStore({ name: 'odd-keys', siteID: SITE, token: TOKEN, ...form });
      for (const key of keys) {
        await store.set(key, `v:${key}`);
        expect(await store.get(key)).toBe(`v:${key}`);
      }
      const listed = [];
      for await (const page of store.list({ paginate: true })) listed.push(...page.blobs.map((b) => b.key));
      expect(listed.sort()).toEqual(expect.arrayContaining(['100%', 'a b/ü:1', '%zz']));
    }
    expect(Buffer.from((await blobs.store('odd-keys').get('100%'))!).toString()).toBe('v:100%');
  });

  it('lets the official client list stores, delete a whole store, and read its context from NETLIFY_BLOBS_CONTEXT', async () => {
    process.env[BLOBS_CONTEXT_ENV] = encodeBlobsContext({ url: server.url, siteID: SITE, token: TOKEN });
    try {
      const store = getStore('from-context');
      await store.set('a', '1');
      await store.set('b', '2');
      expect((await listStores()).stores).toEqual(expect.arrayContaining(['from-context', 'proto']));
      expect(await store.deleteAll()).toEqual({ deletedBlobs: 2 });
      expect((await store.list()).blobs).toEqual([]);
    } finally {
      delete process.env[BLOBS_CONTEXT_ENV];
    }
  });
});

describe('deploy stores', () => {
  it('serves deploy-scoped stores, including the region-prefixed edge path', async () => {
    const store = getDeployStore({ deployID: 'abc123', siteID: SITE, token: TOKEN, edgeURL: server.url, region: 'us-east-1' });
    await store.set('asset', 'deployed');
    expect(await store.get('asset')).toBe('deployed');
    expect(Buffer.from((await blobs.store('deploy:abc123').get('asset'))!).toString()).toBe('deployed');
  });
});

describe('blobs handler mounted in another server', () => {
  let host: Server;
  let url: string;
  beforeAll(async () => {
    const handler = createBlobsHandler({ blobs, token: TOKEN, siteID: SITE });
    host = createServer(async (req, res) => {
      if (await handler(req, res)) return;
      res.writeHead(200).end('app route');
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => host.close(() => r())));

  it('claims only blob paths and leaves every other route to the app', async () => {
    expect(await (await fetch(`${url}/api/activities`)).text()).toBe('app route');
    expect(await (await fetch(`${url}/other-site/store/key`)).text()).toBe('app route');
    const store = getStore({ name: 'mounted', siteID: SITE, token: TOKEN, edgeURL: url });
    await store.setJSON('k', { ok: true });
    expect(await store.get('k', { type: 'json' })).toEqual({ ok: true });
  });
});

describe('remote client', () => {
  it('retries 429 and 503 answers, waiting on its clock for X-RateLimit-Reset', async () => {
    const handler = createBlobsHandler({ blobs, token: TOKEN, siteID: SITE });
    const retryClock = new ManualClock(1_000_000_000_000);
    let failures = 2;
    const flaky = createServer(async (req, res) => {
      if (failures-- > 0) {
        const status = failures === 1 ? 429 : 503;
        res.writeHead(status, { 'x-ratelimit-reset': String(Math.floor(retryClock.now() / 1000) + 30) }).end();
        return;
      }
      await handler(req, res);
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    const apiURL = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`;
    const remote = openNetlifyBlobs({ siteID: SITE, token: TOKEN, apiURL, clock: retryClock });
    try {
      const before = retryClock.now();
      expect((await remote.store('retry').set('k', 'v')).modified).toBe(true);
      expect(retryClock.now() - before).toBeGreaterThanOrEqual(30_000);
      expect(Buffer.from((await remote.store('retry').get('k'))!).toString()).toBe('v');
    } finally {
      await remote.close();
      await new Promise<void>((r) => flaky.close(() => r()));
    }
  });

  it('honours an absolute expiresAt even when the server sends no last-modified', async () => {
    const neverExpires = openSqliteBlobs({ path: ':memory:', clock: new ManualClock(0), sweepIntervalMs: 0 });
    const handler = createBlobsHandler({ blobs: neverExpires, token: TOKEN, siteID: SITE });
    const bare = createServer(async (req, res) => {
      const writeHead = res.writeHead.bind(res) as (status: number, headers?: Record<string, unknown>) => typeof res;
      res.writeHead = ((status: number, headers?: Record<string, unknown>) => {
        if (headers) delete headers['last-modified'];
        return writeHead(status, headers);
      }) as typeof res.writeHead;
      await handler(req, res);
    });
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const readerClock = new ManualClock(Date.UTC(2026, 0, 1));
    const apiURL = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
    const remote = openNetlifyBlobs({ siteID: SITE, token: TOKEN, apiURL, clock: readerClock });
    try {
      await remote.store('cache').set('k', 'v', { expiresAt: readerClock.now() + 1000 });
      expect(Buffer.from((await remote.store('cache').get('k'))!).toString()).toBe('v');
      readerClock.advance(2000);
      expect(await remote.store('cache').get('k')).toBeNull();
      expect(await remote.store('cache').getMetadata('k')).toBeNull();
    } finally {
      await remote.close();
      await new Promise<void>((r) => bare.close(() => r()));
      await neverExpires.close();
    }
  });

  it('turns a non-JSON answer (a proxy page, a wrong --api-url) into a clear error', async () => {
    const html = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'));
    await new Promise<void>((r) => html.listen(0, '127.0.0.1', r));
    const apiURL = `http://127.0.0.1:${(html.address() as AddressInfo).port}`;
    const remote = openNetlifyBlobs({ siteID: SITE, token: TOKEN, apiURL, maxRetries: 0 });
    try {
      await expect(remote.store('cache').list()).rejects.toMatchObject({ code: 'BLOBS_BAD_RESPONSE' });
      await expect(remote.listStores()).rejects.toMatchObject({ code: 'BLOBS_BAD_RESPONSE' });
      await expect(remote.store('cache').get('k')).rejects.toMatchObject({ code: 'BLOBS_BAD_RESPONSE' });
    } finally {
      await remote.close();
      await new Promise<void>((r) => html.close(() => r()));
    }
  });

  it('reads an entry past metadata.ttl + its write time as missing, even when the server keeps it', async () => {
    // A server whose store never expires anything, like Netlify's.
    const neverExpires = openSqliteBlobs({ path: ':memory:', clock: new ManualClock(0), sweepIntervalMs: 0 });
    const s = await startBlobsServer({ blobs: neverExpires, token: TOKEN, siteID: SITE });
    const writeClock = new ManualClock(Date.UTC(2026, 0, 1));
    const remote = openNetlifyBlobs({ siteID: SITE, token: TOKEN, apiURL: s.url, clock: writeClock });
    try {
      await neverExpires.store('cache').set('k', 'v', { metadata: { ttl: 60 } });
      // The row was written at t=0 (1970): 60 s later it is long expired for a reader in 2026.
      expect(await remote.store('cache').get('k')).toBeNull();
      expect(await remote.store('cache').getMetadata('k')).toBeNull();
      expect((await remote.store('cache').list()).blobs).toEqual([]);
      expect((await remote.store('cache').list({ includeExpired: true })).blobs).toHaveLength(1);
    } finally {
      await remote.close();
      await s.close();
      await neverExpires.close();
    }
  });
});
