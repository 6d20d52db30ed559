import type { Store } from '@netlify/blobs';
import type { BlobStore, ListedBlob, SetOptions, WriteTime } from '../../src/blobs/store.js';

/**
 * The official @netlify/blobs Store seen through our BlobStore port, so one conformance suite can
 * drive it. It only translates types; every request is the official client's own.
 */
export function officialAsBlobStore(name: string, store: Store): BlobStore<WriteTime> {
  const body = (v: Uint8Array | string): string | ArrayBuffer =>
    typeof v === 'string' ? v : (v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer);
  const conditions = (o: SetOptions) => ({
    ...(o.metadata ? { metadata: o.metadata } : {}),
    ...(o.onlyIfMatch !== undefined ? { onlyIfMatch: o.onlyIfMatch } : {}),
    ...(o.onlyIfNew ? { onlyIfNew: true as const } : {}),
  });
  const self: BlobStore<WriteTime> = {
    name,
    async get(key) {
      const data = await store.get(key, { type: 'arrayBuffer' });
      return data === null ? null : new Uint8Array(data);
    },
    async getJSON<T>(key: string) {
      return (await store.get(key, { type: 'json' })) as T | null;
    },
    async getWithMetadata(key) {
      const r = await store.getWithMetadata(key, { type: 'arrayBuffer' });
      return r ? { data: new Uint8Array(r.data), etag: r.etag ?? '', metadata: r.metadata } : null;
    },
    async getMetadata(key) {
      const r = await store.getMetadata(key);
      return r ? { etag: r.etag ?? '', metadata: r.metadata } : null;
    },
    async set(key, value, options = {}) {
      return store.set(key, body(value), conditions(options) as never);
    },
    async setJSON(key, value, options = {}) {
      // @netlify/blobs 10.7.9's Store.setJSON drops onlyIfMatch/onlyIfNew (spreads them into the request, not `conditions`): conditional writes go through set.
      if (options.onlyIfMatch !== undefined || options.onlyIfNew) return self.set(key, JSON.stringify(value), options);
      return store.setJSON(key, value, conditions(options) as never);
    },
    async delete(key) {
      await store.delete(key);
    },
    async list(options = {}) {
      const r = await store.list({ prefix: options.prefix, directories: options.directories });
      const blobs: Array<ListedBlob<WriteTime>> = r.blobs.map((b) => ({ key: b.key, etag: b.etag, size: -1, updatedAt: null, expiresAt: null }));
      return { blobs, directories: r.directories };
    },
  };
  return self;
}
