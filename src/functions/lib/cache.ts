import { createHash } from 'node:crypto';
import type { NetlifyEvent, NetlifyResponse } from '../../emulator/types.js';
import type { BlobStore } from '../../blobs/store.js';
import { CACHE_STORE } from '../../cache/keys.js';
import type { Clock } from '../../clock.js';
import type { FunctionDeps } from '../deps.js';
import { JSON_CONTENT_TYPE } from './http.js';
import { Lru } from './lru.js';

export type CacheStatus = 'HIT' | 'MISS';

/** A cached value as stored: the payload plus when it was made and when it expires (ms). */
export interface CachedValue<T> {
  value: T;
  storedAt: number;
  expiresAt: number;
}

export const cacheStore = (deps: FunctionDeps): BlobStore => deps.blobs.store(CACHE_STORE);

/** A strong ETag over the exact bytes sent. */
export function strongEtag(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** True when the client asked to bypass caches (`Cache-Control: no-cache` or `Pragma: no-cache`). */
export function wantsRefresh(event: NetlifyEvent): boolean {
  const cc = (event.headers?.['cache-control'] ?? '').toLowerCase();
  const pragma = (event.headers?.['pragma'] ?? '').toLowerCase();
  return /(^|[\s,])(no-cache|max-age=0)($|[\s,;])/.test(cc) || pragma.includes('no-cache');
}

/** True when an `If-None-Match` header lists this ETag (or `*`). */
export function etagMatches(event: NetlifyEvent, etag: string): boolean {
  const header = event.headers?.['if-none-match'];
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/** Parsed entries kept per handler instance, keyed by blob key and validated by the blob's ETag. */
export type ParsedMemo = Lru<string, { blobEtag: string; entry: CachedValue<unknown> }>;
export const PARSED_MEMO_ENTRIES = 128;
export const createParsedMemo = (max = PARSED_MEMO_ENTRIES): ParsedMemo => new Lru(max);

/** Response bodies rendered from a cached entry, per handler, keyed by the entry's blob version. */
export type RenderedMemo = Lru<string, { body: string; etag: string }>;
export const RENDERED_MEMO_ENTRIES = 64;
export const createRenderedMemo = (max = RENDERED_MEMO_ENTRIES): RenderedMemo => new Lru(max);

/**
 * The response body (and its ETag) for `renderKey`: rendered once per blob version, so a HIT
 * neither re-serializes nor re-hashes a 100 KiB list.
 */
export function renderOnce(memo: RenderedMemo, renderKey: string, render: () => string): { body: string; etag: string } {
  let out = memo.get(renderKey);
  if (!out) {
    const body = render();
    out = { body, etag: strongEtag(body) };
    memo.set(renderKey, out);
  }
  return out;
}

export interface ReadThroughResult<T> {
  entry: CachedValue<T>;
  status: CacheStatus;
  /** The stored blob's ETag (changes with every write): a key for memoizing what is derived from it. */
  version: string;
}

/**
 * Read-through cache over the blob store with a real expiry: a stored entry past `expiresAt` is
 * a miss whatever the store does. `refresh` skips the read (the client's `no-cache`). With a
 * `memo`, a hit whose blob ETag is unchanged reuses the parsed entry (one metadata read).
 */
export async function readThrough<T>(opts: {
  store: BlobStore;
  key: string;
  ttlSeconds: number;
  clock: Clock;
  refresh: boolean;
  load: () => Promise<T>;
  memo?: ParsedMemo;
  /** A time (ms) a new entry must not outlive, when earlier than its TTL's end. */
  notAfter?: number;
}): Promise<ReadThroughResult<T>> {
  const now = opts.clock.now();
  if (!opts.refresh) {
    const cached = await readFresh<T>(opts.store, opts.key, now, opts.memo);
    if (cached) return { entry: cached.entry, status: 'HIT', version: cached.version };
  }
  const value = await opts.load();
  const expiresAt = Math.min(now + opts.ttlSeconds * 1000, opts.notAfter ?? Infinity);
  const entry: CachedValue<T> = { value, storedAt: now, expiresAt };
  const written = await opts.store.setJSON(opts.key, entry, { expiresAt: entry.expiresAt, metadata: { expiresAt: entry.expiresAt } });
  const version = written.etag ?? `w${now}`;
  if (written.etag) opts.memo?.set(opts.key, { blobEtag: written.etag, entry });
  else opts.memo?.delete(opts.key);
  return { entry, status: 'MISS', version };
}

async function readFresh<T>(
  store: BlobStore,
  key: string,
  now: number,
  memo: ParsedMemo | undefined,
): Promise<{ entry: CachedValue<T>; version: string } | null> {
  try {
    if (memo) {
      const info = await store.getMetadata(key);
      if (!info) return null;
      const known = memo.get(key);
      if (known && known.blobEtag === info.etag) {
        return known.entry.expiresAt > now ? { entry: known.entry as CachedValue<T>, version: info.etag } : null;
      }
    }
    const stored = await store.getWithMetadata(key);
    if (!stored) return null;
    const cached = JSON.parse(Buffer.from(stored.data).toString('utf8')) as CachedValue<T> | null;
    if (!cached || typeof cached !== 'object' || typeof cached.expiresAt !== 'number') return null;
    memo?.set(key, { blobEtag: stored.etag, entry: cached });
    return cached.expiresAt > now ? { entry: cached, version: stored.etag } : null;
  } catch {
    return null; // a corrupt entry is a miss; the next write replaces it
  }
}

/** `private, max-age=N`; a HIT's N changes once a second, so the last string is reused. */
let lastMaxAge = { seconds: -1, header: '' };
function privateMaxAge(seconds: number): string {
  if (seconds !== lastMaxAge.seconds) lastMaxAge = { seconds, header: `private, max-age=${seconds}` };
  return lastMaxAge.header;
}

/**
 * The cached JSON response: `X-Cache`, `Cache-Control: private, max-age=<seconds left>`, a strong
 * ETag over the body, and 304 (no body) when the client already holds it.
 */
export function cachedResponse(
  event: NetlifyEvent,
  body: string,
  status: CacheStatus,
  expiresAt: number,
  clock: Clock,
  etag = strongEtag(body),
): NetlifyResponse {
  const maxAge = Math.max(0, Math.floor((expiresAt - clock.now()) / 1000));
  const headers: Record<string, string> = {
    'content-type': JSON_CONTENT_TYPE,
    'cache-control': privateMaxAge(maxAge),
    vary: 'Authorization',
    etag,
    'x-cache': status,
  };
  if (etagMatches(event, etag)) return { statusCode: 304, headers, body: '' };
  return { statusCode: 200, headers, body };
}
