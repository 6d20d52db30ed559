import {
  athleteKeyPrefixes,
  CACHE_STORE,
  kindPrefix,
  keyBelongsToAthlete,
  parseCacheKey,
  type CacheKind,
} from '../cache/keys.js';
import { usageError, VeloError } from '../errors.js';
import { isExpired } from './expiry.js';
import { mapLimit } from '../util/limiter.js';
import { matchesPurge, type PurgeFilter, type PurgeResult, type PurgedKey } from './purge.js';
import type { SqliteBlobs } from './sqlite.js';
import type { BlobMetadata, Blobs, ListedBlob, WriteTime } from './store.js';

/**
 * What `veloready cache` does, as functions over any `Blobs` (the local SQLite file or Netlify):
 * list, read, purge and count cache entries, using the key scheme from src/cache/keys.ts.
 * A write time the backend did not report stays unknown (null): shown as such, never "older than".
 */
type AnyBlobs = Blobs<WriteTime>;
export const DELETE_CONCURRENCY = 8;
const MS_PER_S = 1000;

export interface CacheSelector {
  /** One store; every store when absent. */
  store?: string;
  prefix?: string;
  athleteId?: number;
  /** The athlete's auth user id (athletes.user_id), which keys briefs; derived from athleteId when absent. */
  athleteUserId?: string;
  kind?: CacheKind;
}

export interface CacheEntry {
  store: string;
  key: string;
  kind: CacheKind | 'other';
  size: number;
  /** ms since epoch of the last write; null when the backend did not say. */
  updatedAt: number | null;
  expiresAt: number | null;
  expired: boolean;
}

export interface CachePurgeOptions extends CacheSelector {
  expired?: boolean;
  olderThanSeconds?: number;
  all?: boolean;
  dryRun?: boolean;
}

export interface CacheStatsRow {
  store: string;
  kind: CacheKind | 'other';
  count: number;
  bytes: number;
  expired: number;
  /** ms since epoch of the oldest known write; null when no entry's write time is known. */
  oldest: number | null;
}

/** A narrowing prefix (for the scan) and the exact key test the selector means. */
function keyFilter(sel: CacheSelector): { scanPrefix?: string; test: (key: string) => boolean } {
  const tests: Array<(key: string) => boolean> = [];
  let scanPrefix: string | undefined;
  if (sel.prefix !== undefined && sel.prefix !== '') {
    const p = sel.prefix;
    tests.push((k) => k.startsWith(p));
    scanPrefix = p;
  }
  if (sel.athleteId !== undefined) {
    const id = sel.athleteId;
    const userId = sel.athleteUserId;
    tests.push((k) => keyBelongsToAthlete(k, id, userId));
    const prefixes = athleteKeyPrefixes(id, userId);
    if (scanPrefix === undefined && prefixes.length === 1) scanPrefix = prefixes[0];
  }
  if (sel.kind !== undefined) {
    const kind = sel.kind;
    tests.push((k) => parseCacheKey(k).kind === kind);
    scanPrefix ??= kindPrefix(kind);
  }
  return { scanPrefix, test: (k) => tests.every((t) => t(k)) };
}

async function storesOf(blobs: AnyBlobs, store: string | undefined): Promise<string[]> {
  return store !== undefined ? [store] : blobs.listStores();
}

/** Every entry of a store (expired ones too), page by page. */
async function* listAllBlobs(blobs: AnyBlobs, store: string, prefix?: string): AsyncGenerator<ListedBlob<WriteTime>> {
  const s = blobs.store(store);
  let cursor: string | undefined;
  do {
    const page = await s.list({ prefix, cursor, includeExpired: true });
    yield* page.blobs;
    cursor = page.cursor;
  } while (cursor);
}

export async function listCache(blobs: AnyBlobs, sel: CacheSelector, now: number): Promise<CacheEntry[]> {
  const { scanPrefix, test } = keyFilter(sel);
  const entries: CacheEntry[] = [];
  for (const store of await storesOf(blobs, sel.store)) {
    for await (const b of listAllBlobs(blobs, store, scanPrefix)) {
      if (!test(b.key)) continue;
      entries.push({
        store,
        key: b.key,
        kind: parseCacheKey(b.key).kind,
        size: b.size,
        updatedAt: b.updatedAt,
        expiresAt: b.expiresAt,
        expired: isExpired(b.expiresAt, now),
      });
    }
  }
  return entries;
}

export interface CacheValue {
  store: string;
  key: string;
  etag: string;
  metadata: BlobMetadata;
  size: number;
  /** Parsed JSON when the bytes are JSON, else the text. */
  value: unknown;
  isJson: boolean;
}

export async function getCacheEntry(blobs: AnyBlobs, key: string, store = CACHE_STORE): Promise<CacheValue> {
  const entry = await blobs.store(store).getWithMetadata(key);
  if (!entry) {
    throw new VeloError('CACHE_KEY_NOT_FOUND', `no live entry "${key}" in store ${store}`, 'list keys with: veloready cache ls');
  }
  const text = Buffer.from(entry.data).toString('utf8');
  let value: unknown = text;
  let isJson = false;
  try {
    value = JSON.parse(text);
    isJson = true;
  } catch {
    // Not JSON: shown as text.
  }
  return { store, key, etag: entry.etag, metadata: entry.metadata, size: entry.data.byteLength, value, isJson };
}

/** Checks a purge request means something; `--all` stands alone. */
export function validatePurge(opts: CachePurgeOptions): void {
  const narrowed =
    opts.athleteId !== undefined || opts.kind !== undefined || (opts.prefix ?? '') !== '' || opts.expired || opts.olderThanSeconds !== undefined;
  if (opts.all && narrowed) {
    throw usageError('PURGE_ALL_WITH_FILTER', '--all cannot be combined with --athlete, --kind, --prefix, --expired or --older-than', 'drop --all to purge a selection');
  }
  if (!opts.all && !narrowed) {
    throw usageError('PURGE_NEEDS_FILTER', 'say what to purge', 'use --athlete, --kind, --prefix, --expired, --older-than, or --all');
  }
}

const isSqliteBlobs = (b: AnyBlobs): b is SqliteBlobs => typeof (b as Partial<SqliteBlobs>).purge === 'function';

export async function purgeCache(blobs: AnyBlobs, opts: CachePurgeOptions, now: number): Promise<PurgeResult> {
  validatePurge(opts);
  const { scanPrefix, test } = keyFilter(opts);
  const filter: PurgeFilter = {
    prefixes: scanPrefix !== undefined ? [scanPrefix] : undefined,
    predicate: test,
    expired: opts.expired,
    updatedBefore: opts.olderThanSeconds !== undefined ? now - opts.olderThanSeconds * MS_PER_S : undefined,
    dryRun: opts.dryRun,
  };
  if (isSqliteBlobs(blobs)) return blobs.purge({ ...filter, store: opts.store });

  const keys: PurgedKey[] = [];
  const ageless = { ...filter, updatedBefore: undefined };
  let unknownAge = 0;
  for (const store of await storesOf(blobs, opts.store)) {
    const doomed: PurgedKey[] = [];
    for await (const b of listAllBlobs(blobs, store, scanPrefix)) {
      if (matchesPurge(filter, b, now)) doomed.push({ store, key: b.key, size: b.size });
      else if (filter.updatedBefore !== undefined && b.updatedAt === null && matchesPurge(ageless, b, now)) unknownAge++;
    }
    if (!opts.dryRun) await mapLimit(doomed, DELETE_CONCURRENCY, (d) => blobs.store(store).delete(d.key));
    keys.push(...doomed);
  }
  return { keys, bytes: keys.reduce((sum, k) => sum + k.size, 0), unknownAge };
}

export async function cacheStats(blobs: AnyBlobs, now: number, store?: string): Promise<CacheStatsRow[]> {
  const rows = new Map<string, CacheStatsRow>();
  for (const entry of await listCache(blobs, { store }, now)) {
    const id = `${entry.store}\0${entry.kind}`;
    const row = rows.get(id) ?? { store: entry.store, kind: entry.kind, count: 0, bytes: 0, expired: 0, oldest: entry.updatedAt };
    row.count++;
    row.bytes += entry.size;
    if (entry.expired) row.expired++;
    if (entry.updatedAt !== null) row.oldest = row.oldest === null ? entry.updatedAt : Math.min(row.oldest, entry.updatedAt);
    rows.set(id, row);
  }
  return [...rows.values()].sort((a, b) => a.store.localeCompare(b.store) || a.kind.localeCompare(b.kind));
}
