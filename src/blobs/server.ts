import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../clock.js';
import { isVeloError } from '../errors.js';
import {
  decodeMetadata,
  encodeKeyPath,
  encodeMetadata,
  METADATA_HEADER,
  METADATA_HEADER_EXTERNAL,
  METADATA_MAX_BYTES,
  metadataHeaderBytes,
  SIGNED_URL_ACCEPT,
  SITE_STORE_PREFIX,
} from './metadata.js';
import type { Blobs, BlobStore, SetOptions } from './store.js';
import { keyProblem, storeNameProblem } from './validate.js';

/**
 * The Netlify Blobs protocol over any `Blobs` backend, as the official @netlify/blobs client speaks it:
 * the edge form `/{siteID}/{store}/{key}` and the API form `/api/v1/blobs/{siteID}/{store}/{key}`
 * (which answers `{url}` with a signed URL when asked with `accept: application/json;type=signed-url`).
 *
 * The client resolves every path against the origin of edgeURL/apiURL (`new URL('/x', base)`), so a
 * path prefix in those URLs is dropped: mount this handler at the server root. It claims only
 * `/api/v1/blobs/...` and `/{siteID}/...` (optionally `/region:xx/{siteID}/...`) and returns false for
 * everything else.
 */
export { SIGNED_URL_ACCEPT };
export const MAX_BLOB_BYTES = 64 * 1024 * 1024;
export const LIST_PAGE_SIZE = 1000;
/** How long a signed URL from the API form stays valid. */
export const SIGNED_URL_TTL_S = 300;
const MS_PER_S = 1000;
const DEPLOY_STORE_PREFIX = 'deploy:';
const REGION_PREFIX = 'region:';
const API_PATH = ['api', 'v1', 'blobs'];
const BEARER = 'bearer ';
/** Store handles kept between requests (cleared whole when full: names come from clients). */
const MAX_OPEN_STORES = 1000;

export interface BlobsHandlerOptions {
  blobs: Blobs;
  token: string;
  siteID: string;
  /** Path prefix this handler lives under (the official client cannot use one; see above). */
  basePath?: string;
  /** List page size (tests use a small one to get several pages). */
  pageSize?: number;
  maxBodyBytes?: number;
  /** Signed URLs expire on this clock (serve's, virtual or not). */
  clock?: Clock;
}

export type BlobsHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

interface Target {
  api: boolean;
  siteID: string;
  /** Store name as the client sent it (`site:name`), or undefined for site-level requests. */
  rawStore?: string;
  key?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A path segment as the official client meant it. It sends keys raw through `new URL`, which
 * percent-encodes only spaces, non-ASCII and a few symbols, so a literal `%` arrives as is: runs of
 * valid `%XX` escapes are decoded, anything else (`100%`, `%zz`) is kept as written.
 */
function decodeSegment(s: string): string {
  if (!s.includes('%')) return s;
  return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** `site:name` → `name`; deploy and legacy names are kept as they are. */
const backendStoreName = (raw: string): string => (raw.startsWith(SITE_STORE_PREFIX) ? raw.slice(SITE_STORE_PREFIX.length) : raw);
const protocolStoreName = (name: string): string =>
  name.startsWith(DEPLOY_STORE_PREFIX) ? name : `${SITE_STORE_PREFIX}${name}`;

function parseTarget(pathname: string, siteID: string): Target | null {
  const parts = pathname.split('/').slice(1);
  if (parts.length >= 4 && API_PATH.every((p, i) => parts[i] === p)) {
    const [, , , site, store, ...key] = parts;
    return toTarget(true, site!, store, key);
  }
  const rest = parts[0]?.startsWith(REGION_PREFIX) ? parts.slice(1) : parts;
  if (rest[0] !== siteID) return null;
  const [site, store, ...key] = rest;
  return toTarget(false, site!, store, key);
}

function toTarget(api: boolean, site: string, store: string | undefined, key: string[]): Target {
  const rawStore = store ? decodeSegment(store) : undefined;
  const joined = key.map(decodeSegment).join('/');
  return { api, siteID: decodeSegment(site), rawStore, key: joined === '' ? undefined : joined };
}

function send(res: ServerResponse, status: number, headers: Record<string, string | number> = {}, body?: Buffer | string): void {
  res.writeHead(status, headers);
  res.end(body);
}

function sendJSON(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  send(res, status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, body);
}

function sendError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  if (req.method === 'HEAD') return send(res, status);
  sendJSON(res, status, { error: { code, message } });
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(new HttpError(413, 'BLOB_TOO_LARGE', `blob exceeds ${limit} bytes`));
  // Events, not `for await`: the async iterator costs more than the copy for a 2 KiB body.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, 'BLOB_TOO_LARGE', `blob exceeds ${limit} bytes`));
      } else chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

function safeEqual(a: string, b: string | Buffer): boolean {
  const x = Buffer.from(a);
  const y = typeof b === 'string' ? Buffer.from(b) : b;
  return x.length === y.length && timingSafeEqual(x, y);
}

const NO_PARAMS = new URLSearchParams();

/**
 * Path and query of a request target. The official client sends paths built by `new URL`, already
 * normalized; anything with a dot segment or a backslash goes through the WHATWG parser as well.
 */
function splitTarget(raw: string): { pathname: string; params: URLSearchParams } {
  if (raw.includes('/.') || raw.includes('\\')) {
    const url = new URL(raw, 'http://localhost');
    return { pathname: url.pathname, params: url.searchParams };
  }
  const q = raw.indexOf('?');
  return q === -1 ? { pathname: raw, params: NO_PARAMS } : { pathname: raw.slice(0, q), params: new URLSearchParams(raw.slice(q + 1)) };
}

export function createBlobsHandler(options: BlobsHandlerOptions): BlobsHandler {
  const { blobs, token, siteID } = options;
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const pageSize = options.pageSize ?? LIST_PAGE_SIZE;
  const maxBody = options.maxBodyBytes ?? MAX_BLOB_BYTES;
  const clock = options.clock ?? systemClock;

  /** A signed URL is good for one method on one blob until `expires` (unix seconds), like a presigned S3 URL. */
  const sign = (method: string, rawStore: string, key: string, expires: string): string =>
    createHmac('sha256', token).update(`${method}\n${siteID}/${rawStore}/${key}\n${expires}`).digest('hex');

  const tokenBytes = Buffer.from(token);
  function authorized(req: IncomingMessage, params: URLSearchParams, target: Target): boolean {
    const auth = header(req, 'authorization') ?? '';
    if (auth.length === token.length + BEARER.length && auth.slice(0, BEARER.length).toLowerCase() === BEARER && safeEqual(auth.slice(BEARER.length), tokenBytes)) {
      return true;
    }
    const signature = params.get('signature');
    const expires = params.get('expires') ?? '';
    if (target.api || !signature || !target.rawStore || !target.key || !/^\d+$/.test(expires)) return false;
    if (Number(expires) * MS_PER_S < clock.now()) return false;
    return safeEqual(signature, sign(req.method ?? 'GET', target.rawStore, target.key, expires));
  }

  const stores = new Map<string, BlobStore>();
  function openStore(rawStore: string): BlobStore {
    const known = stores.get(rawStore);
    if (known) return known;
    const name = backendStoreName(rawStore);
    const problem = storeNameProblem(name);
    if (problem) throw new HttpError(400, 'INVALID_STORE_NAME', problem);
    const store = blobs.store(name);
    if (stores.size >= MAX_OPEN_STORES) stores.clear();
    stores.set(rawStore, store);
    return store;
  }

  function checkKey(key: string): void {
    const problem = keyProblem(key);
    if (problem) throw new HttpError(400, 'INVALID_BLOB_KEY', problem);
  }

  async function listStores(res: ServerResponse, params: URLSearchParams): Promise<void> {
    const prefix = params.get('prefix') ?? '';
    const stores = (await blobs.listStores()).map(protocolStoreName).filter((s) => s.startsWith(prefix));
    sendJSON(res, 200, { stores });
  }

  async function listBlobs(res: ServerResponse, store: BlobStore, params: URLSearchParams): Promise<void> {
    const page = await store.list({
      prefix: params.get('prefix') ?? undefined,
      directories: params.get('directories') === 'true',
      cursor: params.get('cursor') ?? undefined,
      includeExpired: params.get('include_expired') === 'true',
      limit: pageSize,
    });
    sendJSON(res, 200, {
      blobs: page.blobs.map((b) => ({
        etag: b.etag,
        key: b.key,
        last_modified: new Date(b.updatedAt).toISOString(),
        size: b.size,
        expires_at: b.expiresAt === null ? null : new Date(b.expiresAt).toISOString(),
      })),
      directories: page.directories,
      ...(page.cursor ? { next_cursor: page.cursor } : {}),
    });
  }

  async function deleteStore(res: ServerResponse, store: BlobStore): Promise<void> {
    let deleted = 0;
    let cursor: string | undefined;
    do {
      const page = await store.list({ cursor, includeExpired: true, limit: pageSize });
      for (const b of page.blobs) await store.delete(b.key);
      deleted += page.blobs.length;
      cursor = page.cursor;
    } while (cursor);
    sendJSON(res, 200, { blobs_deleted: deleted, has_more: false });
  }

  function blobHeaders(etag: string, metadata: Record<string, unknown>, updatedAt?: number): Record<string, string> {
    const headers: Record<string, string> = { etag };
    const encoded = encodeMetadata(metadata);
    if (encoded) headers[METADATA_HEADER] = encoded;
    if (updatedAt !== undefined) headers['last-modified'] = new Date(updatedAt).toUTCString();
    return headers;
  }

  async function onKey(req: IncomingMessage, res: ServerResponse, store: BlobStore, key: string): Promise<void> {
    switch (req.method) {
      case 'GET': {
        const entry = await store.getWithMetadata(key);
        if (!entry) return sendError(req, res, 404, 'BLOB_NOT_FOUND', `no blob "${key}"`);
        const headers = blobHeaders(entry.etag, entry.metadata, entry.updatedAt);
        if (header(req, 'if-none-match') === entry.etag) return send(res, 304, headers);
        const body = Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
        return send(res, 200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': body.length }, body);
      }
      case 'HEAD': {
        const info = await store.getMetadata(key);
        if (!info) return send(res, 404);
        return send(res, 200, blobHeaders(info.etag, info.metadata, info.updatedAt));
      }
      case 'PUT': {
        checkKey(key);
        const rawMetadata = header(req, METADATA_HEADER) ?? header(req, METADATA_HEADER_EXTERNAL);
        if (rawMetadata && metadataHeaderBytes(rawMetadata) > METADATA_MAX_BYTES) {
          throw new HttpError(400, 'METADATA_TOO_LARGE', `metadata exceeds ${METADATA_MAX_BYTES} bytes once encoded`);
        }
        let metadata: Record<string, unknown>;
        try {
          metadata = decodeMetadata(rawMetadata);
        } catch {
          throw new HttpError(400, 'INVALID_METADATA', `the ${METADATA_HEADER} header is not "b64;" + base64 JSON`);
        }
        const body = await readBody(req, maxBody);
        const setOptions: SetOptions = { metadata };
        const ifMatch = header(req, 'if-match');
        if (ifMatch) setOptions.onlyIfMatch = ifMatch;
        else if (header(req, 'if-none-match') === '*') setOptions.onlyIfNew = true;
        const result = await store.set(key, body, setOptions);
        if (!result.modified) return send(res, 412);
        return send(res, 200, { etag: result.etag ?? '' });
      }
      case 'DELETE':
        await store.delete(key);
        return send(res, 204);
      default:
        return sendError(req, res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not supported here`);
    }
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse, params: URLSearchParams, target: Target): Promise<void> {
    if (!authorized(req, params, target)) {
      return sendError(req, res, 403, 'FORBIDDEN', 'missing or wrong Netlify Blobs token');
    }
    if (target.siteID !== siteID) return sendError(req, res, 404, 'SITE_NOT_FOUND', `no site "${target.siteID}"`);
    if (target.rawStore === undefined) {
      if (req.method === 'GET') return listStores(res, params);
      return sendError(req, res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not supported on a site`);
    }
    const store = openStore(target.rawStore);
    if (target.key === undefined) {
      if (req.method === 'GET') return listBlobs(res, store, params);
      if (req.method === 'DELETE') return deleteStore(res, store);
      return sendError(req, res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not supported on a store`);
    }
    if (target.api && header(req, 'accept') === SIGNED_URL_ACCEPT) {
      checkKey(target.key);
      const origin = `http://${header(req, 'host') ?? 'localhost'}`;
      const signed = new URL(`${basePath}/${siteID}/${encodeURIComponent(target.rawStore)}/${encodeKeyPath(target.key)}`, origin);
      const expires = String(Math.floor(clock.now() / MS_PER_S) + SIGNED_URL_TTL_S);
      signed.searchParams.set('expires', expires);
      signed.searchParams.set('signature', sign(req.method ?? 'GET', target.rawStore, target.key, expires));
      return sendJSON(res, 200, { url: signed.toString() });
    }
    return onKey(req, res, store, target.key);
  }

  return async (req, res) => {
    const split = splitTarget(req.url ?? '/');
    let pathname = split.pathname;
    if (basePath) {
      if (pathname !== basePath && !pathname.startsWith(`${basePath}/`)) return false;
      pathname = pathname.slice(basePath.length) || '/';
    }
    let target: Target | null;
    try {
      target = parseTarget(pathname, siteID);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      sendError(req, res, err.status, err.code, err.message);
      return true;
    }
    if (!target) return false;
    try {
      await dispatch(req, res, split.params, target);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
      } else if (err instanceof HttpError) {
        sendError(req, res, err.status, err.code, err.message);
      } else if (isVeloError(err) && err.exitCode === 2) {
        sendError(req, res, 400, err.code, err.message);
      } else {
        sendError(req, res, 500, 'INTERNAL', 'the blob store failed; see the server log');
        console.error('[blobs]', err);
      }
    }
    return true;
  };
}

export interface StandaloneBlobsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** `veloready blobs serve` and tests: the handler alone on its own port (0 picks one). */
export async function startBlobsServer(
  options: BlobsHandlerOptions & { port?: number; host?: string },
): Promise<StandaloneBlobsServer> {
  const handler = createBlobsHandler(options);
  const server = createServer((req, res) => {
    handler(req, res).then(
      (handled) => {
        if (!handled) sendError(req, res, 404, 'NOT_FOUND', `nothing at ${req.url ?? '/'}`);
      },
      () => {
        if (!res.headersSent) sendError(req, res, 500, 'INTERNAL', 'internal error');
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
