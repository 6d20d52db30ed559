import type { IncomingMessage, ServerResponse } from 'node:http';
import { VeloError } from '../errors.js';
import { JSON_HEADERS, httpStatusOf } from '../emulator/http-error.js';
import { redactText } from '../util/redact.js';

/** What a route gets: the path params, the query, and the JSON body of a POST. */
export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  req: IncomingMessage;
  res: ServerResponse;
}

/** A JSON value to answer with, or `STREAMING` when the route wrote the response itself (SSE). */
export type ApiHandler = (r: ApiRequest) => Promise<unknown>;
export const STREAMING = Symbol('streaming');

export interface ApiRoute {
  method: 'GET' | 'POST';
  /** `/tables/:name/rows` — `:x` binds one path segment. */
  path: string;
  handler: ApiHandler;
}

/** JSON bodies the API accepts (a seed count, a purge selector): small. */
export const API_BODY_BYTES = 64 * 1024;

/** A client mistake: answered with its status and `{error:{code,message}}`. */
export class ApiError extends VeloError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

interface Compiled extends ApiRoute {
  re: RegExp;
  names: string[];
}

export interface ApiRouter {
  /** Answers `path` (below `/_/api`) and returns true, or false when no route has that path. */
  handle(req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string): Promise<boolean>;
}

export function createApiRouter(routes: readonly ApiRoute[]): ApiRouter {
  const compiled: Compiled[] = routes.map((r) => {
    const names: string[] = [];
    const re = new RegExp(`^${r.path.replace(/:([a-zA-Z]+)/g, (_m, n: string) => (names.push(n), '([^/]+)'))}$`);
    return { ...r, re, names };
  });
  return {
    async handle(req, res, path, rawQuery) {
      const matching = compiled.filter((r) => r.re.test(path));
      if (matching.length === 0) return false;
      const route = matching.find((r) => r.method === req.method || (r.method === 'GET' && req.method === 'HEAD'));
      try {
        if (!route) throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${path} answers ${matching.map((r) => r.method).join(', ')}`);
        const m = route.re.exec(path)!;
        const params: Record<string, string> = {};
        route.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
        const body = route.method === 'POST' ? await readJson(req) : {};
        const result = await route.handler({ params, query: new URLSearchParams(rawQuery), body, req, res });
        if (result !== STREAMING) sendJson(res, 200, result);
      } catch (err) {
        if (res.headersSent) {
          res.end();
          return true;
        }
        const status = err instanceof ApiError ? err.status : (httpStatusOf(err) ?? (err instanceof VeloError && err.exitCode === 2 ? 400 : 500));
        const code = err instanceof VeloError ? err.code : 'INTERNAL';
        const message = redactText(err instanceof Error ? err.message : String(err));
        sendJson(res, status, { error: { code, message } });
      }
      return true;
    },
  };
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...JSON_HEADERS, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > API_BODY_BYTES) throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `request bodies are limited to ${API_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'INVALID_JSON', 'the request body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApiError(400, 'INVALID_JSON', 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** A positive whole number from a query or body value, or the default; else a 400 naming the field. */
export function wholeNumber(value: unknown, field: string, opts: { min?: number; max?: number; fallback?: number } = {}): number {
  if ((value === undefined || value === null || value === '') && opts.fallback !== undefined) return opts.fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ApiError(400, 'INVALID_NUMBER', `${field} must be a whole number from ${min} to ${max}`);
  return n;
}

export function optionalNumber(value: unknown, field: string, opts: { min?: number; max?: number } = {}): number | undefined {
  return value === undefined || value === null || value === '' ? undefined : wholeNumber(value, field, opts);
}
