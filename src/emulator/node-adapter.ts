import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NetlifyEvent, NetlifyResponse } from './types.js';

/** Thrown by readBody when the body passes the limit; the server answers 413. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`request body is larger than ${limitBytes} bytes`);
  }
}

/** The client went away before its body arrived; nobody is left to answer. */
export class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
  constructor() {
    super('the client closed the connection before sending the whole body');
  }
}

const TEXT_TYPE_RE = /^(text\/|application\/(json|[\w.+-]*\+json|xml|[\w.+-]*\+xml|x-www-form-urlencoded|javascript|graphql)|multipart\/form-data)/i;

/** True when the request announces a body (GET without Content-Length has none: skip reading). */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return len !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/** Reads the whole body, rejecting with BodyTooLargeError as soon as it passes `limitBytes`. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limitBytes) return Promise.reject(new BodyTooLargeError(limitBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        reject(new BodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (): void => {
      cleanup();
      reject(new ClientClosedError());
    };
    const onClose = (): void => {
      if (!req.complete) onError();
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Splits `req.url` into path and raw query without building a URL object. */
export function splitUrl(url: string): [path: string, rawQuery: string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

/** `a=1&b=x+y&a=2` → last value wins in `single`, every value in `multi` (as API Gateway does). */
export function parseQuery(rawQuery: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!rawQuery) return out;
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const k = decodeQueryComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeQueryComponent(pair.slice(eq + 1));
    // `__proto__` is an ordinary key too (assigning it would set the object's prototype instead).
    if (k === '__proto__') Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
    else out[k] = value;
  }
  return out;
}

export function parseMultiQuery(rawQuery: string): Record<string, string[]> {
  // No prototype: `constructor`, `toString`, `__proto__` are keys like any other (lazy: not on the hot path).
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  if (!rawQuery) return out;
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const k = decodeQueryComponent(eq < 0 ? pair : pair.slice(0, eq));
    (out[k] ??= []).push(eq < 0 ? '' : decodeQueryComponent(pair.slice(eq + 1)));
  }
  return out;
}

function decodeQueryComponent(s: string): string {
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  const spaced = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/**
 * The event Netlify would hand a v1 function. Multi-value fields are computed on first access:
 * most handlers never read them, and the hot path should not pay for them.
 */
class NodeEvent implements NetlifyEvent {
  readonly headers: Record<string, string>;
  readonly queryStringParameters: Record<string, string>;
  private mvHeaders?: Record<string, string[]>;
  private mvQuery?: Record<string, string[]>;
  private url?: string;
  constructor(
    private readonly req: IncomingMessage,
    readonly path: string,
    readonly rawQuery: string,
    readonly body: string | null,
    readonly isBase64Encoded: boolean,
    query: Record<string, string> | undefined,
  ) {
    this.headers = req.headers as Record<string, string>;
    this.queryStringParameters = query ?? parseQuery(rawQuery);
  }
  get rawUrl(): string {
    return (this.url ??= `http://${this.req.headers.host ?? 'localhost'}${this.req.url ?? this.path}`);
  }
  get httpMethod(): string {
    return this.req.method ?? 'GET';
  }
  get multiValueHeaders(): Record<string, string[]> {
    return (this.mvHeaders ??= { ...this.req.headersDistinct } as Record<string, string[]>);
  }
  get multiValueQueryStringParameters(): Record<string, string[]> {
    return (this.mvQuery ??= parseMultiQuery(this.rawQuery));
  }
  toJSON(): NetlifyEvent {
    const { rawUrl, rawQuery, path, httpMethod, headers, multiValueHeaders, queryStringParameters, multiValueQueryStringParameters, body, isBase64Encoded } = this;
    return { rawUrl, rawQuery, path, httpMethod, headers, multiValueHeaders, queryStringParameters, multiValueQueryStringParameters, body, isBase64Encoded };
  }
}

/** Builds the event; text bodies stay UTF-8 strings, anything else is base64 as on Netlify. */
export function toEvent(
  req: IncomingMessage,
  path: string,
  rawQuery: string,
  body: Buffer | null,
  query?: Record<string, string>,
): NetlifyEvent {
  if (!body) return new NodeEvent(req, path, rawQuery, null, false, query);
  const type = req.headers['content-type'];
  const text = type === undefined || TEXT_TYPE_RE.test(type);
  return new NodeEvent(req, path, rawQuery, text ? body.toString('utf8') : body.toString('base64'), !text, query);
}

/**
 * UTF-8 bytes of recently sent large bodies. A cache HIT returns the very same string object
 * again and again; V8 keeps a string's hash, so the lookup is O(1) and the 16 KiB encode and
 * byte count happen once instead of on every response.
 */
const ENCODED_MIN_CHARS = 4096;
const ENCODED_MAX_ENTRIES = 64;
const encoded = new Map<string, Buffer>();

function bodyBytes(body: string): string | Buffer {
  if (body.length < ENCODED_MIN_CHARS) return body;
  let bytes = encoded.get(body);
  if (!bytes) {
    bytes = Buffer.from(body, 'utf8');
    if (encoded.size >= ENCODED_MAX_ENTRIES) encoded.delete(encoded.keys().next().value!);
    encoded.set(body, bytes);
  }
  return bytes;
}

function encodedBody(response: NetlifyResponse): string | Buffer | undefined {
  const body = response.body;
  if (!body) return undefined;
  return response.isBase64Encoded ? Buffer.from(body, 'base64') : bodyBytes(body);
}

/**
 * Writes a function's response; `requestId` goes out as `x-nf-request-id` like Netlify's. One
 * writeHead with every header (and the length) is markedly cheaper than a setHeader per header.
 * Returns the `x-cache` value sent, for the request log (headers given to writeHead cannot be
 * read back with getHeader).
 */
export function writeResponse(res: ServerResponse, response: NetlifyResponse, requestId?: string): string | undefined {
  const out: Record<string, string | string[]> = {};
  if (requestId) out['x-nf-request-id'] = requestId;
  const headers = response.headers;
  if (headers) for (const name in headers) out[name.toLowerCase()] = String(headers[name]);
  const multi = response.multiValueHeaders;
  if (multi) for (const name in multi) out[name.toLowerCase()] = multi[name]!.map(String);
  const bytes = response.bytes ?? encodedBody(response);
  if (bytes !== undefined && out['content-length'] === undefined) out['content-length'] = String(Buffer.byteLength(bytes));
  res.writeHead(response.statusCode, out);
  if (bytes === undefined) res.end();
  else res.end(bytes);
  const cache = out['x-cache'];
  return typeof cache === 'string' ? cache : undefined;
}
