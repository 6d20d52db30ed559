import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NetlifyResponse } from './types.js';

/**
 * CORS for veloready's built-in functions, for loopback origins only: a web app served on another
 * local port (`http://localhost:5173`) may call serve from the browser. Other origins get no CORS
 * headers (the browser refuses them, as production would), and the project's own functions
 * answer CORS themselves.
 */
const LOOPBACK_ORIGIN_RE = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;
const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
/** What supabase-js and fetch-based apps send besides the simple headers. */
const ALLOWED_HEADERS = 'authorization, content-type, apikey, x-client-info, cache-control, if-none-match';
const PREFLIGHT_MAX_AGE_S = 600;

/** The request's Origin when it is a loopback one, else undefined. */
export function loopbackOrigin(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  return origin !== undefined && LOOPBACK_ORIGIN_RE.test(origin) ? origin : undefined;
}

export const isPreflight = (req: IncomingMessage): boolean => req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;

/** 204 with what the browser asked for allowed. */
export function preflightResponse(origin: string): NetlifyResponse {
  return {
    statusCode: 204,
    headers: {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': ALLOWED_METHODS,
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-max-age': PREFLIGHT_MAX_AGE_S,
      vary: 'Origin',
    },
  };
}

/** On the real answer: the browser lets the page read it (and its X-Cache / ETag headers). */
export function allowOrigin(res: ServerResponse, origin: string): void {
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-expose-headers', 'x-cache, etag, x-job-id, x-request-id');
  res.setHeader('vary', 'Origin');
}
