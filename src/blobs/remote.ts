import { Agent, request } from 'undici';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { usageError, VeloError } from '../errors.js';
import { isExpired, metadataExpiry } from './expiry.js';
import { createLimiter, mapLimit } from '../util/limiter.js';
import {
  decodeMetadata,
  encodeMetadata,
  METADATA_HEADER,
  METADATA_HEADER_EXTERNAL,
  METADATA_MAX_BYTES,
  metadataHeaderBytes,
  SIGNED_URL_ACCEPT,
  SITE_STORE_PREFIX,
} from './metadata.js';
import type {
  BlobEntry,
  BlobInfo,
  BlobMetadata,
  Blobs,
  BlobStore,
  ListedBlob,
  SetOptions,
  SetResult,
  WriteTime,
} from './store.js';
import { encodePathSegment, keyUrlPath } from './url-path.js';
import { validateKey, validateStoreName } from './validate.js';

/**
 * The BlobStore port over the Netlify Blobs API, for production (`--target netlify`). It speaks the
 * same protocol as the official client (API form, signed URLs for reads and writes) and enforces
 * the expiry Netlify does not: an entry past `metadata.ttl` seconds after its write reads as missing.
 * A listed write time is null when neither the list page nor HEAD reports one (`WriteTime`).
 */
export const NETLIFY_API_URL = 'https://api.netlify.com';
export const DEFAULT_CONCURRENCY = 8;
export const MAX_RETRIES = 5;
export const RETRY_BASE_MS = 250;
export const RETRY_MAX_MS = 10_000;
export const MIN_RATE_LIMIT_WAIT_MS = 1000;
const KEEP_ALIVE_MS = 30_000;

export interface NetlifyBlobsOptions {
  siteID: string;
  token: string;
  apiURL?: string;
  clock?: Clock;
  concurrency?: number;
  maxRetries?: number;
}

interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const retryable = (status: number): boolean => status === 429 || status >= 500;

interface ListResponseBlob {
  key: string;
  etag: string;
  size?: number;
  last_modified?: string;
  /** Only our own server (server.ts) reports expiry; Netlify does not. */
  expires_at?: string | null;
}

interface ListResponse {
  blobs?: ListResponseBlob[];
  directories?: string[];
  next_cursor?: string;
}

/** ms since epoch, or null for a missing or unparseable time. */
function parseTime(value: string | null | undefined): number | null {
  const ms = Date.parse(value ?? '');
  return Number.isFinite(ms) ? ms : null;
}

export function openNetlifyBlobs(options: NetlifyBlobsOptions): Blobs<WriteTime> {
  const clock = options.clock ?? systemClock;
  const apiURL = (options.apiURL ?? NETLIFY_API_URL).replace(/\/+$/, '');
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const maxRetries = options.maxRetries ?? MAX_RETRIES;
  const agent = new Agent({ keepAliveTimeout: KEEP_ALIVE_MS, connections: concurrency });
  const limit = createLimiter(concurrency);
  const auth = { authorization: `Bearer ${options.token}` };

  const retryDelay = (attempt: number, res?: HttpResult): number => {
    const reset = res && Number(one(res.headers['x-ratelimit-reset']));
    if (reset && Number.isFinite(reset)) return Math.max(reset * 1000 - clock.now(), MIN_RATE_LIMIT_WAIT_MS);
    return Math.min(RETRY_BASE_MS * 2 ** attempt, RETRY_MAX_MS);
  };

  /** One HTTP exchange with retries on 429/5xx and network errors; never logs the URL's query (signatures). */
  async function http(method: string, url: string, headers: Record<string, string>, body?: Buffer): Promise<HttpResult> {
    return limit(async () => {
      for (let attempt = 0; ; attempt++) {
        let res: HttpResult | undefined;
        try {
          const r = await request(url, { dispatcher: agent, method: method as 'GET', headers, body });
          res = { status: r.statusCode, headers: r.headers, body: Buffer.from(await r.body.arrayBuffer()) };
          if (!retryable(res.status) || attempt >= maxRetries) return res;
        } catch (err) {
          if (attempt >= maxRetries) {
            throw new VeloError('BLOBS_UNREACHABLE', `cannot reach Netlify Blobs at ${new URL(url).origin}`, 'check --api-url and the network', 1, {
              cause: err,
            });
          }
        }
        await clock.sleep(retryDelay(attempt, res));
      }
    });
  }

  function fail(method: string, url: string, res: HttpResult): never {
    const path = new URL(url).pathname;
    const hint =
      res.status === 401 || res.status === 403
        ? 'check NETLIFY_AUTH_TOKEN and NETLIFY_SITE_ID'
        : 'retry later; if it persists, check the Netlify status page';
    throw new VeloError('BLOBS_HTTP', `Netlify Blobs answered ${res.status} to ${method.toUpperCase()} ${path}`, hint);
  }

  /** A JSON answer, or a clear error (not a SyntaxError) when a proxy or wrong --api-url sent something else. */
  function json<T>(method: string, url: string, res: HttpResult): T {
    try {
      return JSON.parse(res.body.toString('utf8')) as T;
    } catch {
      throw new VeloError(
        'BLOBS_BAD_RESPONSE',
        `Netlify Blobs answered ${method.toUpperCase()} ${new URL(url).pathname} with something that is not JSON`,
        'check --api-url points at a Netlify Blobs API',
      );
    }
  }

  const siteURL = `${apiURL}/api/v1/blobs/${encodePathSegment(options.siteID)}`;
  const storeURL = (store: string): string => `${siteURL}/${encodePathSegment(SITE_STORE_PREFIX + store)}`;
  const keyURL = (store: string, key: string): string => `${storeURL(store)}/${keyUrlPath(key)}`;

  async function signedURL(method: string, store: string, key: string, extra: Record<string, string> = {}): Promise<string> {
    const url = keyURL(store, key);
    const res = await http(method, url, { ...auth, ...extra, accept: SIGNED_URL_ACCEPT });
    if (res.status !== 200) fail(method, url, res);
    const parsed = json<{ url?: unknown } | null>(method, url, res);
    if (typeof parsed?.url !== 'string') fail(method, url, res);
    return parsed.url;
  }

  function readInfo(res: HttpResult): BlobInfo & { expiresAt: number | null } {
    let metadata: BlobMetadata;
    try {
      metadata = decodeMetadata(one(res.headers[METADATA_HEADER]) ?? one(res.headers[METADATA_HEADER_EXTERNAL]));
    } catch {
      throw new VeloError('BLOBS_BAD_RESPONSE', 'Netlify Blobs sent metadata that is not "b64;" + base64 JSON', 'check --api-url points at a Netlify Blobs API');
    }
    const updatedAt = parseTime(one(res.headers['last-modified'])) ?? undefined;
    const expiresAt = metadataExpiry(updatedAt, metadata);
    return { etag: one(res.headers['etag']) ?? '', metadata, updatedAt, expiresAt };
  }

  /** Netlify has no TTL: our options become metadata every reader (including ours) honours. */
  function metadataFor(opts: SetOptions): BlobMetadata {
    const metadata: BlobMetadata = { ...(opts.metadata ?? {}) };
    if (typeof opts.expiresAt === 'number') metadata['expiresAt'] = opts.expiresAt;
    else if (typeof opts.ttlSeconds === 'number') metadata['ttl'] = opts.ttlSeconds;
    return metadata;
  }

  /** The metadata header for a write, refused (like the official client does) past Netlify's limit. */
  function metadataHeader(key: string, opts: SetOptions): string | null {
    const encoded = encodeMetadata(metadataFor(opts));
    if (encoded && metadataHeaderBytes(encoded) > METADATA_MAX_BYTES) {
      throw usageError(
        'METADATA_TOO_LARGE',
        `metadata for "${key}" is ${metadataHeaderBytes(encoded)} bytes once encoded; Netlify Blobs accepts at most ${METADATA_MAX_BYTES}`,
        'keep metadata small (a few fields); put large values in the blob itself',
      );
    }
    return encoded;
  }

  function store(name: string): BlobStore<WriteTime> {
    validateStoreName(name);

    async function fetchEntry(key: string): Promise<BlobEntry | null> {
      validateKey(key);
      const url = await signedURL('GET', name, key);
      const res = await http('GET', url, {});
      if (res.status === 404) return null;
      if (res.status !== 200) fail('GET', url, res);
      const info = readInfo(res);
      if (isExpired(info.expiresAt, clock.now())) return null;
      return { data: new Uint8Array(res.body), etag: info.etag, metadata: info.metadata, updatedAt: info.updatedAt };
    }

    async function head(key: string): Promise<(BlobInfo & { expiresAt: number | null }) | null> {
      validateKey(key);
      const url = keyURL(name, key);
      const res = await http('HEAD', url, auth);
      if (res.status === 404) return null;
      if (res.status !== 200) fail('HEAD', url, res);
      return readInfo(res);
    }

    /**
     * A list entry with its write time and expiry. Our server reports expiry; Netlify does not, so it
     * comes from the entry's metadata (one HEAD), with `metadata.ttl` counted from the list's
     * `last_modified` (Netlify's own BlobsServer sends no `last-modified` on HEAD).
     */
    async function listed(b: ListResponseBlob): Promise<ListedBlob<WriteTime>> {
      let updatedAt = parseTime(b.last_modified);
      let expiresAt: number | null;
      if (b.expires_at !== undefined) {
        expiresAt = parseTime(b.expires_at);
      } else {
        const info = await head(b.key);
        updatedAt ??= info?.updatedAt ?? null;
        expiresAt = info ? metadataExpiry(updatedAt ?? undefined, info.metadata) : null;
      }
      return { key: b.key, etag: b.etag, size: b.size ?? 0, updatedAt, expiresAt };
    }

    const self: BlobStore<WriteTime> = {
      name,
      async get(key) {
        return (await fetchEntry(key))?.data ?? null;
      },
      async getJSON<T = unknown>(key: string): Promise<T | null> {
        const data = await self.get(key);
        return data === null ? null : (JSON.parse(Buffer.from(data).toString('utf8')) as T);
      },
      getWithMetadata: fetchEntry,
      async getMetadata(key) {
        const info = await head(key);
        if (!info || isExpired(info.expiresAt, clock.now())) return null;
        return { etag: info.etag, metadata: info.metadata, updatedAt: info.updatedAt };
      },
      async set(key, value, opts = {}): Promise<SetResult> {
        validateKey(key);
        const encoded = metadataHeader(key, opts);
        const url = await signedURL('PUT', name, key, encoded ? { [METADATA_HEADER_EXTERNAL]: encoded } : {});
        const headers: Record<string, string> = { 'cache-control': 'max-age=0, stale-while-revalidate=60' };
        if (encoded) headers[METADATA_HEADER] = encoded;
        if (opts.onlyIfMatch !== undefined) headers['if-match'] = opts.onlyIfMatch;
        else if (opts.onlyIfNew) headers['if-none-match'] = '*';
        const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
        const res = await http('PUT', url, headers, body);
        if (res.status === 412) return { modified: false };
        if (res.status !== 200) fail('PUT', url, res);
        return { modified: true, etag: one(res.headers['etag']) ?? '' };
      },
      async setJSON(key, value, opts = {}) {
        return self.set(key, JSON.stringify(value), opts);
      },
      async delete(key) {
        validateKey(key);
        const url = keyURL(name, key);
        const res = await http('DELETE', url, auth);
        if (![200, 204, 404].includes(res.status)) fail('DELETE', url, res);
      },
      async list(opts = {}) {
        const url = new URL(storeURL(name));
        if (opts.prefix) url.searchParams.set('prefix', opts.prefix);
        if (opts.directories) url.searchParams.set('directories', 'true');
        if (opts.cursor) url.searchParams.set('cursor', opts.cursor);
        url.searchParams.set('include_expired', 'true');
        const res = await http('GET', url.toString(), auth);
        if (res.status === 404) return { blobs: [], directories: [] };
        if (res.status !== 200) fail('GET', url.toString(), res);
        const page = json<ListResponse>('GET', url.toString(), res);
        const blobs = await mapLimit(page.blobs ?? [], concurrency, listed);
        const now = clock.now();
        return {
          blobs: opts.includeExpired ? blobs : blobs.filter((b) => !isExpired(b.expiresAt, now)),
          directories: page.directories ?? [],
          ...(page.next_cursor ? { cursor: page.next_cursor } : {}),
        };
      },
    };
    return self;
  }

  return {
    target: `netlify (site ${options.siteID}${apiURL !== NETLIFY_API_URL ? ` via ${apiURL}` : ''})`,
    store,
    async listStores() {
      const stores: string[] = [];
      let cursor: string | undefined;
      do {
        const url = new URL(siteURL);
        url.searchParams.set('prefix', SITE_STORE_PREFIX);
        if (cursor) url.searchParams.set('cursor', cursor);
        const res = await http('GET', url.toString(), auth);
        if (res.status === 404) break;
        if (res.status !== 200) fail('GET', url.toString(), res);
        const page = json<{ stores?: string[]; next_cursor?: string }>('GET', url.toString(), res);
        for (const s of page.stores ?? []) if (s.startsWith(SITE_STORE_PREFIX)) stores.push(s.slice(SITE_STORE_PREFIX.length));
        cursor = page.next_cursor;
      } while (cursor);
      return stores;
    },
    async close() {
      await agent.close();
    },
  };
}
