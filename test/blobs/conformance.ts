import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/clock.js';
import type { BlobStore, ListOptions, WriteTime } from '../../src/blobs/store.js';

/** One backend under test: the SQLite store, the remote client, or the official client via our server. */
export interface ConformanceTarget {
  store(name: string): BlobStore<WriteTime>;
  /** The clock the backing SQLite store reads. */
  clock: ManualClock;
  /** True when `list` exposes pages (our port); the official client pages internally. */
  pagesVisible: boolean;
  /** The same backend reached with a wrong token (HTTP targets only). */
  wrongTokenStore?: (name: string) => BlobStore<WriteTime>;
  close(): Promise<void>;
}

const PAGE = 3;
const text = (d: Uint8Array | null): string | null => (d === null ? null : Buffer.from(d).toString('utf8'));

async function listAll(store: BlobStore<WriteTime>, options: ListOptions = {}) {
  const keys: string[] = [];
  const directories: string[] = [];
  let pages = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list({ ...options, cursor, limit: PAGE });
    pages++;
    keys.push(...page.blobs.map((b) => b.key));
    directories.push(...page.directories);
    cursor = page.cursor;
  } while (cursor && pages < 100);
  return { keys, directories, pages };
}

/** The behaviour every BlobStore must share, whatever carries it. */
export interface ConformanceTraits {
  /** Reached over HTTP with a token (so a wrong token can be tried). */
  http?: boolean;
  /** setJSON itself sends onlyIfMatch / onlyIfNew (not the official client's: see official-adapter.ts). */
  conditionalSetJSON?: boolean;
}

export function blobStoreConformance(label: string, open: () => Promise<ConformanceTarget>, over: ConformanceTraits = {}): void {
  describe(`BlobStore conformance: ${label}`, () => {
    let target: ConformanceTarget;
    let n = 0;
    const fresh = (): BlobStore<WriteTime> => target.store(`conf-${++n}`);
    beforeAll(async () => {
      target = await open();
    });
    afterAll(async () => {
      await target?.close();
    });

    it('reads back what was set, and null for a missing key', async () => {
      const s = fresh();
      const r = await s.set('greeting', 'hello');
      expect(r.modified).toBe(true);
      expect(r.etag).toMatch(/^".+"$/);
      expect(text(await s.get('greeting'))).toBe('hello');
      expect(await s.get('nope')).toBeNull();
      expect(await s.getWithMetadata('nope')).toBeNull();
      expect(await s.getMetadata('nope')).toBeNull();
    });

    it('keeps binary values byte for byte', async () => {
      const s = fresh();
      const bytes = new Uint8Array(512).map((_, i) => (i * 7) % 256);
      await s.set('bin', bytes);
      expect(Buffer.from((await s.get('bin'))!).equals(Buffer.from(bytes))).toBe(true);
    });

    it('round-trips JSON with setJSON / getJSON', async () => {
      const s = fresh();
      const value = { athlete: 42, rides: [1, 2, 3], nested: { ok: true, name: 'Zoë' } };
      await s.setJSON('activities:42', value);
      expect(await s.getJSON('activities:42')).toEqual(value);
      expect(await s.getJSON('missing')).toBeNull();
    });

    it('round-trips metadata and reports the write ETag from getWithMetadata and getMetadata', async () => {
      const s = fresh();
      const metadata = { ttl: 3600, source: 'strava', tags: ['a', 'b'], note: 'café ☕' };
      const { etag } = await s.set('with-meta', 'body', { metadata });
      const entry = await s.getWithMetadata('with-meta');
      expect(text(entry!.data)).toBe('body');
      expect(entry!.metadata).toEqual(metadata);
      expect(entry!.etag).toBe(etag);
      expect(await s.getMetadata('with-meta')).toMatchObject({ etag, metadata });
    });

    it('gives every write a new ETag', async () => {
      const s = fresh();
      const a = await s.set('k', 'same');
      const b = await s.set('k', 'same');
      expect(a.etag).not.toBe(b.etag);
    });

    it('deletes a key, and deleting a missing key is fine', async () => {
      const s = fresh();
      await s.set('gone', 'x');
      await s.delete('gone');
      expect(await s.get('gone')).toBeNull();
      await expect(s.delete('never-there')).resolves.toBeUndefined();
    });

    it('keeps keys with spaces, unicode and slashes intact', async () => {
      const s = fresh();
      const key = 'dir/sub key é/ü+1';
      await s.set(key, 'v');
      expect(text(await s.get(key))).toBe('v');
      expect((await listAll(s)).keys).toEqual([key]);
    });

    it('lists by prefix across more than one page', async () => {
      const s = fresh();
      for (let i = 0; i < 10; i++) await s.set(`streams:7:${100 + i}`, `${i}`);
      await s.set('streams:70:1', 'other athlete');
      await s.set('activities:7', 'a');
      const { keys, pages } = await listAll(s, { prefix: 'streams:7:' });
      expect(keys).toEqual(Array.from({ length: 10 }, (_, i) => `streams:7:${100 + i}`));
      if (target.pagesVisible) expect(pages).toBeGreaterThan(1);
      expect((await listAll(s)).keys).toHaveLength(12);
    });

    it('groups keys into directories when asked', async () => {
      const s = fresh();
      for (const k of ['top', 'a/1', 'a/2', 'a/b/3', 'b/1', 'c/d/e/4']) await s.set(k, k);
      const root = await listAll(s, { directories: true });
      expect(root.keys).toEqual(['top']);
      expect(root.directories).toEqual(['a', 'b', 'c']);
      const inA = await listAll(s, { directories: true, prefix: 'a/' });
      expect(inA.keys).toEqual(['a/1', 'a/2']);
      expect(inA.directories).toEqual(['a/b']);
      expect((await listAll(s, { prefix: 'a/' })).keys).toEqual(['a/1', 'a/2', 'a/b/3']);
    });

    it('writes onlyIfNew only when the key is absent', async () => {
      const s = fresh();
      expect((await s.set('lock', 'first', { onlyIfNew: true })).modified).toBe(true);
      expect((await s.set('lock', 'second', { onlyIfNew: true })).modified).toBe(false);
      expect(text(await s.get('lock'))).toBe('first');
    });

    it('writes onlyIfMatch only when the ETag is current', async () => {
      const s = fresh();
      const first = await s.set('doc', 'v1');
      const second = await s.set('doc', 'v2', { onlyIfMatch: first.etag! });
      expect(second.modified).toBe(true);
      expect((await s.set('doc', 'v3', { onlyIfMatch: first.etag! })).modified).toBe(false);
      expect(text(await s.get('doc'))).toBe('v2');
      expect((await s.set('absent', 'x', { onlyIfMatch: first.etag! })).modified).toBe(false);
      expect((await s.set('doc', JSON.stringify({ v: 4 }), { onlyIfMatch: second.etag! })).modified).toBe(true);
      expect(await s.getJSON('doc')).toEqual({ v: 4 });
    });

    if (over.conditionalSetJSON) {
      it('setJSON with a stale ETag or onlyIfNew on an existing key writes nothing', async () => {
        const s = fresh();
        const first = await s.setJSON('doc', { v: 1 });
        const second = await s.setJSON('doc', { v: 2 }, { onlyIfMatch: first.etag! });
        expect(second.modified).toBe(true);
        expect((await s.setJSON('doc', { v: 3 }, { onlyIfMatch: first.etag! })).modified).toBe(false);
        expect((await s.setJSON('doc', { v: 3 }, { onlyIfNew: true })).modified).toBe(false);
        expect(await s.getJSON('doc')).toEqual({ v: 2 });
      });
    }

    it('treats an entry past metadata.ttl as missing', async () => {
      const s = fresh();
      await s.setJSON('activities:9', [1], { metadata: { ttl: 60 } });
      expect(await s.getJSON('activities:9')).toEqual([1]);
      target.clock.advance(61_000);
      expect(await s.getJSON('activities:9')).toBeNull();
      expect(await s.getMetadata('activities:9')).toBeNull();
      expect((await listAll(s)).keys).toEqual([]);
      expect((await s.set('activities:9', 'again', { onlyIfNew: true })).modified).toBe(true);
    });

    it('rejects keys Netlify rejects', async () => {
      const s = fresh();
      await expect(s.set('', 'x')).rejects.toThrow(/empty/);
      await expect(s.set('/lead', 'x')).rejects.toThrow(/forward slash/);
      await expect(s.set('k'.repeat(601), 'x')).rejects.toThrow(/600 bytes/);
      await expect(s.set('k'.repeat(600), 'x')).resolves.toMatchObject({ modified: true });
    });

    // Only the HTTP targets have a token to get wrong.
    if (over.http) {
      it('refuses a wrong token with 403', async () => {
        const s = target.wrongTokenStore!('conf-wrong');
        await expect(s.set('k', 'v')).rejects.toThrow(/403/);
        await expect(s.get('k')).rejects.toThrow(/403/);
      });
    }
  });
}
