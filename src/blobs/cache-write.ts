import { ACTIVITIES_TTL_S, BRIEF_TTL_S, CACHE_STORE, parseCacheKey, STREAMS_TTL_S, type CacheKind } from '../cache/keys.js';
import { usageError, VeloError } from '../errors.js';
import type { Blobs, WriteTime } from './store.js';

/**
 * `veloready cache set` and `cache rm` (the `netlify blobs:set` / `blobs:delete` habit), over any
 * backend. A key of the functions' own cache (`activities:…`, `streams:…:…`, a brief key) is
 * written the way the functions write it, so they serve it: `{value, storedAt, expiresAt}`, JSON,
 * expiring after its kind's TTL unless `ttlSeconds` says otherwise. Any other key is stored as given.
 */
const KIND_TTL_S: Record<CacheKind, number> = { activities: ACTIVITIES_TTL_S, streams: STREAMS_TTL_S, brief: BRIEF_TTL_S };
const MS_PER_S = 1000;

export interface CacheSetRequest {
  key: string;
  value: string;
  store?: string;
  ttlSeconds?: number;
  now: number;
}

export interface CacheSetResult {
  store: string;
  key: string;
  bytes: number;
  /** ms since epoch, or null: never expires. */
  expiresAt: number | null;
  /** Written in the functions' cache envelope (a function-cache key), rather than as given. */
  envelope: boolean;
}

export async function setCacheEntry(blobs: Blobs<WriteTime>, req: CacheSetRequest): Promise<CacheSetResult> {
  const store = req.store ?? CACHE_STORE;
  if (req.key === '') throw usageError('INVALID_KEY', 'the key is empty', 'e.g. veloready cache set activities:104662 \'[]\'');
  const kind = parseCacheKey(req.key).kind;
  const functionKey = store === CACHE_STORE && kind !== 'other';
  if (functionKey) {
    let value: unknown;
    try {
      value = JSON.parse(req.value);
    } catch {
      throw usageError('INVALID_VALUE', `"${req.key}" is read by the functions as JSON, and the value is not JSON`, 'quote it for the shell, e.g. \'{"activities":[]}\'');
    }
    const expiresAt = req.now + (req.ttlSeconds ?? KIND_TTL_S[kind]) * MS_PER_S;
    const body = JSON.stringify({ value, storedAt: req.now, expiresAt });
    await blobs.store(store).set(req.key, body, { expiresAt, metadata: { expiresAt } });
    return { store, key: req.key, bytes: Buffer.byteLength(body), expiresAt, envelope: true };
  }
  const expiresAt = req.ttlSeconds !== undefined ? req.now + req.ttlSeconds * MS_PER_S : null;
  await blobs.store(store).set(req.key, req.value, expiresAt !== null ? { expiresAt, metadata: { expiresAt } } : {});
  return { store, key: req.key, bytes: Buffer.byteLength(req.value), expiresAt, envelope: false };
}

/** Deletes one key (expired or not); a key that is not there is an error, as `rm` says of a missing file. */
export async function deleteCacheEntry(blobs: Blobs<WriteTime>, key: string, store = CACHE_STORE): Promise<{ store: string; key: string; bytes: number }> {
  const s = blobs.store(store);
  let cursor: string | undefined;
  let found: { size: number } | undefined;
  do {
    const page = await s.list({ prefix: key, cursor, includeExpired: true });
    found = page.blobs.find((b) => b.key === key);
    cursor = found ? undefined : page.cursor;
  } while (cursor);
  if (!found) throw new VeloError('CACHE_KEY_NOT_FOUND', `no entry "${key}" in store ${store}`, 'list keys with: veloready cache ls');
  await s.delete(key);
  return { store, key, bytes: found.size };
}
