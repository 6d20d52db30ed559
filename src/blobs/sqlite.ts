import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { openSqlite } from './sqlite-connection.js';
import { etagSource } from './etag.js';
import { expiryOf, isExpired } from './expiry.js';
import { matchesPurge, type PurgeFilter, type PurgeResult, type PurgedKey } from './purge.js';
import type {
  BlobEntry,
  BlobInfo,
  BlobMetadata,
  Blobs,
  BlobStore,
  ListedBlob,
  ListOptions,
  ListPage,
  SetOptions,
  SetResult,
} from './store.js';
import { validateKey, validateStoreName } from './validate.js';

export const BUSY_TIMEOUT_MS = 10_000;
/** How stale another process's change may be on the metadata-read (cache HIT) path. */
export const EXTERNAL_CHANGE_CHECK_MS = 50;
/** Remembered metadata reads (cleared whole when full). */
const INFO_CACHE_ENTRIES = 10_000;
export const SWEEP_INTERVAL_MS = 60_000;
/** How often the background checkpointer moves the WAL into the database file. */
export const CHECKPOINT_INTERVAL_MS = 200;
/** SQLite's own default, restored when the background checkpointer is not there. */
const AUTOCHECKPOINT_PAGES = 1000;
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_PAGE_SIZE = 1000;
export const MAX_PAGE_SIZE = 10_000;
const SCAN_BATCH = 256;

/** The store's table (also what a snapshot of a data dir without a store holds). */
export const BLOBS_SCHEMA = `
CREATE TABLE IF NOT EXISTS blobs (
  store      TEXT    NOT NULL,
  key        TEXT    NOT NULL,
  metadata   TEXT    NOT NULL DEFAULT '{}',
  etag       TEXT    NOT NULL,
  version    INTEGER NOT NULL,
  size       INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER,
  -- Last: reading the columns before it never walks a large value's overflow pages.
  value      BLOB    NOT NULL,
  PRIMARY KEY (store, key)
);
CREATE INDEX IF NOT EXISTS blobs_expires_at ON blobs (expires_at) WHERE expires_at IS NOT NULL;
`;

export interface SqliteBlobsOptions {
  /** File path, or ':memory:'. */
  path: string;
  clock?: Clock;
  /** Background deletion of expired rows; 0 disables it. */
  sweepIntervalMs?: number;
  /**
   * Checkpoint the WAL from a worker thread instead of inside writes (long-running servers: a
   * checkpoint's sync would stall every request; short commands keep SQLite's autocheckpoint).
   */
  backgroundCheckpoints?: boolean;
  /** How often that worker checkpoints (default CHECKPOINT_INTERVAL_MS). */
  checkpointIntervalMs?: number;
}

/** The local backend: Blobs plus the admin operations `veloready cache` needs. */
export interface SqliteBlobs extends Blobs {
  readonly path: string;
  /** Deletes (or with dryRun, lists) matching entries in one transaction. */
  purge(filter: PurgeFilter): Promise<PurgeResult>;
  /** Deletes every expired row now; returns how many went. */
  sweepExpired(): number;
}

interface Row {
  store: string;
  key: string;
  value: Buffer;
  metadata: string;
  etag: string;
  version: number;
  size: number;
  updated_at: number;
  expires_at: number | null;
}

type ListRow = Pick<Row, 'key' | 'etag' | 'size' | 'updated_at' | 'expires_at'>;

/** A cursor is where the next page starts: a key and whether that key itself is included. */
interface Seek {
  key: string;
  inclusive: boolean;
}
const encodeCursor = (s: Seek): string => Buffer.from(`${s.inclusive ? 'i' : 'x'}${s.key}`, 'utf8').toString('base64url');
function decodeCursor(cursor: string): Seek | null {
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  if (raw[0] !== 'i' && raw[0] !== 'x') return null;
  return { key: raw.slice(1), inclusive: raw[0] === 'i' };
}
/** The first key after every key that starts with `dir/` ('0' follows '/' in byte order). */
const afterDirectory = (dir: string): Seek => ({ key: `${dir}0`, inclusive: true });

/** A copy: the write commits a moment later, after the caller may have reused its array. */
const toBytes = (value: Uint8Array | string): Buffer => (typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value));

export function openSqliteBlobs(options: SqliteBlobsOptions): SqliteBlobs {
  const clock = options.clock ?? systemClock;
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = openSqlite(options.path, { timeout: BUSY_TIMEOUT_MS });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(BLOBS_SCHEMA);
  let closed = false;
  let checkpointer: Checkpointer | undefined;
  if (options.backgroundCheckpoints && options.path !== ':memory:') {
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`); // a WAL grown by a burst shrinks once checkpointed
    checkpointer = startCheckpointer({
      path: options.path,
      intervalMs: options.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS,
      busyTimeoutMs: BUSY_TIMEOUT_MS,
      onFailure: () => {
        checkpointer = undefined;
        if (!closed) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      },
    });
  }

  const q = {
    get: db.prepare<[string, string], Row>('SELECT * FROM blobs WHERE store = ? AND key = ?'),
    head: db.prepare<[string, string], Pick<Row, 'etag' | 'expires_at'>>(
      'SELECT etag, expires_at FROM blobs WHERE store = ? AND key = ?',
    ),
    // Metadata without the value: a HIT check must not copy a 100 KiB blob out of SQLite.
    info: db.prepare<[string, string], Pick<Row, 'etag' | 'metadata' | 'updated_at' | 'expires_at'>>(
      'SELECT etag, metadata, updated_at, expires_at FROM blobs WHERE store = ? AND key = ?',
    ),
    upsert: db.prepare(
      `INSERT INTO blobs (store, key, value, metadata, etag, version, size, updated_at, expires_at)
       VALUES (@store, @key, @value, @metadata, @etag, 1, @size, @updated_at, @expires_at)
       ON CONFLICT (store, key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata,
         etag = excluded.etag, version = blobs.version + 1, size = excluded.size,
         updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
    ),
    delete: db.prepare<[string, string]>('DELETE FROM blobs WHERE store = ? AND key = ?'),
    listFromIncl: db.prepare<[string, string, number], ListRow>(
      'SELECT key, etag, size, updated_at, expires_at FROM blobs WHERE store = ? AND key >= ? ORDER BY key LIMIT ?',
    ),
    listFromExcl: db.prepare<[string, string, number], ListRow>(
      'SELECT key, etag, size, updated_at, expires_at FROM blobs WHERE store = ? AND key > ? ORDER BY key LIMIT ?',
    ),
    stores: db.prepare<[], { store: string }>('SELECT DISTINCT store FROM blobs ORDER BY store'),
    sweep: db.prepare<[number]>('DELETE FROM blobs WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    purgeScan: db.prepare<[{ store: string | null; from: string | null }], Omit<ListRow, 'etag'> & { store: string }>(
      `SELECT store, key, size, updated_at, expires_at FROM blobs
       WHERE (@store IS NULL OR store = @store) AND (@from IS NULL OR key >= @from) ORDER BY store, key`,
    ),
  };

  /**
   * Metadata of recent reads, reused while the file is unchanged: `localChanges` moves with every
   * write of this connection, PRAGMA data_version when another connection (serve, a CLI command)
   * commits. Asking SQLite anything costs as much as the row itself under load, so the pragma is
   * asked at most every EXTERNAL_CHANGE_CHECK_MS: another process's purge shows within that.
   */
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  let localChanges = 0;
  let knownDataVersion = -1;
  let dataVersionCheckedAt = -Infinity;
  let dataVersionCheckedAtReal = -Infinity;
  const currentDataVersion = (): number => {
    const now = clock.now();
    // Real time too: a frozen or rewound virtual clock (serve --clock) must not stop the check.
    const real = performance.now();
    if (now - dataVersionCheckedAt >= EXTERNAL_CHANGE_CHECK_MS || real - dataVersionCheckedAtReal >= EXTERNAL_CHANGE_CHECK_MS) {
      knownDataVersion = dataVersion.get()!;
      dataVersionCheckedAt = now;
      dataVersionCheckedAtReal = real;
    }
    return knownDataVersion;
  };
  interface KnownInfo {
    dv: number;
    local: number;
    info: (BlobInfo & { expiresAt: number | null }) | null;
  }
  const infoCache = new Map<string, KnownInfo>();

  const nextEtag = etagSource();

  function put(store: string, key: string, data: Buffer, metadata: BlobMetadata, opts: SetOptions): SetResult {
    const now = clock.now();
    const etag = nextEtag();
    localChanges++;
    q.upsert.run({
      store,
      key,
      value: data,
      metadata: JSON.stringify(metadata),
      etag,
      size: data.byteLength,
      updated_at: now,
      expires_at: expiryOf(now, metadata, opts),
    });
    return { modified: true, etag };
  }

  function conditionalPut(store: string, key: string, data: Buffer, metadata: BlobMetadata, opts: SetOptions): SetResult {
    if (!opts.onlyIfNew && opts.onlyIfMatch === undefined) return put(store, key, data, metadata, opts);
    const current = q.head.get(store, key);
    const live = current && !isExpired(current.expires_at, clock.now()) ? current : undefined;
    if (opts.onlyIfNew && live) return { modified: false };
    if (opts.onlyIfMatch !== undefined && (!live || live.etag !== opts.onlyIfMatch)) return { modified: false };
    return put(store, key, data, metadata, opts);
  }

  /**
   * Group commit: writes that arrive in the same turn of the event loop (every request read from
   * the sockets in one poll) share one transaction, committed right after that poll (setImmediate:
   * a lone write waits for no timer). Each promise resolves only after that transaction commits,
   * so an acknowledged write survives the process being killed (WAL with synchronous=NORMAL: only a power loss can drop the last commits).
   * The transaction takes the write lock first (BEGIN IMMEDIATE), so a conditional write's read and
   * its write cannot be split by another process, and a busy file waits (busy_timeout) instead of
   * failing with SQLITE_BUSY.
   */
  interface PendingWrite {
    store: string;
    key: string;
    data: Buffer;
    metadata: BlobMetadata;
    opts: SetOptions;
    resolve: (r: SetResult) => void;
    reject: (e: unknown) => void;
  }
  let pending: PendingWrite[] = [];
  const commitBatch = db.transaction((batch: PendingWrite[]): SetResult[] =>
    batch.map((w) => conditionalPut(w.store, w.key, w.data, w.metadata, w.opts)),
  );
  function flush(): void {
    const batch = pending;
    if (batch.length === 0) return; // already committed by settle()
    pending = [];
    let results: SetResult[];
    try {
      results = commitBatch.immediate(batch);
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i]!));
  }
  /**
   * Commits writes still waiting for their batch, so a read, delete or purge issued after a `set`
   * (even one not yet awaited) sees it, and a delete is never overtaken by an earlier write.
   */
  function settle(): void {
    if (pending.length > 0) flush();
  }
  function enqueueWrite(w: Omit<PendingWrite, 'resolve' | 'reject'>): Promise<SetResult> {
    return new Promise<SetResult>((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ ...w, resolve, reject });
    });
  }

  const purgeTx = db.transaction((filter: PurgeFilter): PurgeResult => {
    const now = clock.now();
    const scanFrom = filter.prefixes && filter.prefixes.length === 1 ? filter.prefixes[0]! : null;
    const keys: PurgedKey[] = [];
    let bytes = 0;
    for (const row of q.purgeScan.all({ store: filter.store ?? null, from: scanFrom })) {
      if (scanFrom !== null && !row.key.startsWith(scanFrom)) continue;
      const candidate = { key: row.key, size: row.size, updatedAt: row.updated_at, expiresAt: row.expires_at };
      if (!matchesPurge(filter, candidate, now)) continue;
      keys.push({ store: row.store, key: row.key, size: row.size });
      bytes += row.size;
    }
    if (!filter.dryRun) {
      localChanges++;
      for (const k of keys) q.delete.run(k.store, k.key);
    }
    return { keys, bytes };
  });

  function readLive(store: string, key: string): Row | undefined {
    settle();
    const row = q.get.get(store, key);
    return row && !isExpired(row.expires_at, clock.now()) ? row : undefined;
  }

  function listPage(store: string, opts: ListOptions): ListPage {
    const prefix = opts.prefix ?? '';
    const limit = Math.min(Math.max(1, Math.floor(opts.limit ?? DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE);
    const now = clock.now();
    let seek: Seek = { key: prefix, inclusive: true };
    if (opts.cursor) {
      const decoded = decodeCursor(opts.cursor);
      if (decoded && decoded.key >= prefix) seek = decoded;
    }
    const blobs: ListedBlob[] = [];
    const directories: string[] = [];
    const full = (): boolean => blobs.length + directories.length >= limit;
    const fetch = (s: Seek, n: number): ListRow[] =>
      (s.inclusive ? q.listFromIncl : q.listFromExcl).all(store, s.key, n);

    let exhausted = false;
    while (!full() && !exhausted) {
      const rows = fetch(seek, SCAN_BATCH);
      let consumed = 0;
      let stop = false;
      for (const row of rows) {
        if (!row.key.startsWith(prefix)) {
          exhausted = true;
          break;
        }
        consumed++;
        if (!opts.includeExpired && isExpired(row.expires_at, now)) {
          seek = { key: row.key, inclusive: false };
          continue;
        }
        const slash = opts.directories ? row.key.indexOf('/', prefix.length) : -1;
        if (slash !== -1) {
          const dir = row.key.slice(0, slash);
          directories.push(dir);
          seek = afterDirectory(dir);
          stop = true; // re-query past the directory
          break;
        }
        blobs.push({ key: row.key, etag: row.etag, size: row.size, updatedAt: row.updated_at, expiresAt: row.expires_at });
        seek = { key: row.key, inclusive: false };
        if (full()) {
          stop = true;
          break;
        }
      }
      if (!stop && !exhausted && consumed === rows.length && rows.length < SCAN_BATCH) exhausted = true;
    }
    if (exhausted) return { blobs, directories };
    const more = fetch(seek, 1)[0];
    return more && more.key.startsWith(prefix) ? { blobs, directories, cursor: encodeCursor(seek) } : { blobs, directories };
  }

  function store(name: string): BlobStore {
    validateStoreName(name);
    const self: BlobStore = {
      name,
      async get(key) {
        validateKey(key);
        return readLive(name, key)?.value ?? null;
      },
      async getJSON<T = unknown>(key: string): Promise<T | null> {
        const data = await self.get(key);
        return data === null ? null : (JSON.parse(Buffer.from(data).toString('utf8')) as T);
      },
      async getWithMetadata(key): Promise<BlobEntry | null> {
        validateKey(key);
        const row = readLive(name, key);
        return row
          ? { data: row.value, etag: row.etag, metadata: JSON.parse(row.metadata) as BlobMetadata, updatedAt: row.updated_at }
          : null;
      },
      async getMetadata(key): Promise<BlobInfo | null> {
        validateKey(key);
        settle();
        const cacheKey = `${name}\u0000${key}`;
        const dv = currentDataVersion();
        let known = infoCache.get(cacheKey);
        if (!known || known.dv !== dv || known.local !== localChanges) {
          const row = q.info.get(name, key);
          known = {
            dv,
            local: localChanges,
            info: row ? { etag: row.etag, metadata: JSON.parse(row.metadata) as BlobMetadata, updatedAt: row.updated_at, expiresAt: row.expires_at } : null,
          };
          if (infoCache.size >= INFO_CACHE_ENTRIES) infoCache.clear();
          infoCache.set(cacheKey, known);
        }
        const info = known.info;
        return info && !isExpired(info.expiresAt, clock.now()) ? { etag: info.etag, metadata: info.metadata, updatedAt: info.updatedAt } : null;
      },
      async set(key, value, opts = {}) {
        validateKey(key);
        return enqueueWrite({ store: name, key, data: toBytes(value), metadata: opts.metadata ?? {}, opts });
      },
      async setJSON(key, value, opts = {}) {
        return self.set(key, JSON.stringify(value), opts);
      },
      async delete(key) {
        validateKey(key);
        settle();
        localChanges++;
        q.delete.run(name, key);
      },
      async list(opts = {}) {
        settle();
        return listPage(name, opts);
      },
    };
    return self;
  }

  const sweepExpired = (): number => {
    localChanges++;
    return q.sweep.run(clock.now()).changes;
  };
  const sweepMs = options.sweepIntervalMs ?? SWEEP_INTERVAL_MS;
  const timer =
    sweepMs > 0
      ? setInterval(() => {
          try {
            sweepExpired();
          } catch {
            // A busy or closing database: the next sweep (or a read, which hides expired rows) covers it.
          }
        }, sweepMs)
      : undefined;
  timer?.unref();

  return {
    target: `local (${options.path})`,
    path: options.path,
    store,
    async listStores() {
      return q.stores.all().map((r) => r.store);
    },
    async purge(filter) {
      settle();
      return purgeTx.immediate(filter);
    },
    sweepExpired,
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      settle();
      await checkpointer?.stop();
      db.close();
    },
  };
}
