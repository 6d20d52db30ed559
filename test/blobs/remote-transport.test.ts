import { getStore } from '@netlify/blobs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openNetlifyBlobs } from '../../src/blobs/remote.js';
import { startBlobsServer, type StandaloneBlobsServer } from '../../src/blobs/server.js';
import { openSqliteBlobs, type SqliteBlobs } from '../../src/blobs/sqlite.js';
import { startProbe, type Probe } from './http-probe.js';

const SITE = 'site-t';
const TOKEN = 'token-t';
const STORE = 'veloready-cache';

describe('the remote store on the wire (our server behind a counting probe)', () => {
  let blobs: SqliteBlobs;
  let server: StandaloneBlobsServer;
  let probe: Probe | undefined;
  beforeAll(async () => {
    blobs = openSqliteBlobs({ path: ':memory:', sweepIntervalMs: 0 });
    server = await startBlobsServer({ blobs, token: TOKEN, siteID: SITE });
  });
  afterEach(async () => {
    await probe?.close();
    probe = undefined;
  });
  afterAll(async () => {
    await server.close();
    await blobs.close();
  });

  it('reuses kept-alive connections: 17 requests over at most two', async () => {
    probe = await startProbe(server.url);
    const remote = openNetlifyBlobs({ siteID: SITE, token: TOKEN, apiURL: probe.url });
    try {
      const s = remote.store(STORE);
      for (let i = 0; i < 4; i++) {
        await s.set(`activities:${i}`, `${i}`);
        expect(Buffer.from((await s.get(`activities:${i}`))!).toString()).toBe(`${i}`);
      }
      await s.list();
      expect(probe.requests.length).toBeGreaterThanOrEqual(17);
      // undici (7.16) opens a second socket for a request sent the moment the previous response ends; both then stay open.
      expect(probe.connections).toBeLessThanOrEqual(2);
    } finally {
      await remote.close();
    }
  });

  it('never has more requests in flight at the server than its concurrency', async () => {
    probe = await startProbe(server.url, { delayMs: 15 });
    const remote = openNetlifyBlobs({ siteID: SITE, token: TOKEN, apiURL: probe.url, concurrency: 4 });
    try {
      const s = remote.store(STORE);
      await Promise.all(Array.from({ length: 20 }, (_, i) => s.set(`streams:1:${i}`, 'x')));
      await Promise.all(Array.from({ length: 20 }, (_, i) => s.delete(`streams:1:${i}`)));
      expect(probe.requests).toHaveLength(60);
      expect(probe.maxInFlight).toBe(4);
    } finally {
      await remote.close();
    }
  });

  it('sends ":" raw and "%", "?", "#", spaces and non-ASCII escaped, so such keys round-trip', async () => {
    probe = await startProbe(server.url);
    const remote = openNetlifyBlobs({ siteID: SITE, token: TOKEN, apiURL: probe.url });
    const key = 'odd:1/100% done?#x é';
    try {
      await remote.store(STORE).set(key, 'v');
      expect(probe.requests[0]).toEqual({ method: 'PUT', path: `/api/v1/blobs/${SITE}/site:${STORE}/odd:1/100%25%20done%3F%23x%20%C3%A9` });
      expect(Buffer.from((await remote.store(STORE).get(key))!).toString()).toBe('v');
      expect((await remote.store(STORE).list({ prefix: 'odd:1/' })).blobs.map((b) => b.key)).toEqual([key]);
    } finally {
      await remote.close();
    }
  });

  it("refuses metadata past Netlify's 2 KiB exactly where the official client does, before any request", async () => {
    probe = await startProbe(server.url);
    const remote = openNetlifyBlobs({ siteID: SITE, token: TOKEN, apiURL: probe.url });
    const official = getStore({ name: STORE, siteID: SITE, token: TOKEN, apiURL: probe.url });
    // `netlify-blobs-metadata` + `b64;` + base64 of {"n":"…"}: 1507 characters fit in 2048 bytes, 1510 do not.
    const fits = { n: 'x'.repeat(1507) };
    const tooBig = { n: 'x'.repeat(1510) };
    try {
      await expect(official.set('meta', 'v', { metadata: tooBig })).rejects.toThrow(/exceeds the maximum size/);
      await expect(remote.store(STORE).set('meta', 'v', { metadata: tooBig })).rejects.toMatchObject({
        code: 'METADATA_TOO_LARGE',
        exitCode: 2,
        message: expect.stringMatching(/^metadata for "meta" is 2050 bytes once encoded; Netlify Blobs accepts at most 2048$/),
      });
      expect(probe.requests).toEqual([]);
      await expect(remote.store(STORE).set('meta', 'v', { metadata: fits })).resolves.toMatchObject({ modified: true });
      expect(await official.getMetadata('meta')).toMatchObject({ metadata: fits });
    } finally {
      await remote.close();
    }
  });
});
