import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody as readNodeBody } from '../emulator/node-adapter.js';

/** Largest JSON body the Supabase emulation reads (PostgREST bulk inserts included). */
export const SUPABASE_BODY_LIMIT_BYTES = 6 * 1024 * 1024;

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads a request body with the emulator's reader (which stops reading, without destroying the
 * socket, so the 413 still reaches the client); rejects with BodyError(413) past the limit.
 */
export async function readBody(req: IncomingMessage, limit = SUPABASE_BODY_LIMIT_BYTES): Promise<string> {
  try {
    return (await readNodeBody(req, limit)).toString('utf8');
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new BodyError(413, err.message);
    throw err;
  }
}

/** Reads and parses a JSON body; an empty body is `undefined`. */
export async function readJson(req: IncomingMessage, limit?: number): Promise<unknown> {
  const text = await readBody(req, limit);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError(400, 'request body is not valid JSON');
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD',
  'Access-Control-Allow-Headers':
    'authorization, apikey, content-type, x-client-info, x-supabase-api-version, prefer, range, range-unit, accept-profile, content-profile',
  'Access-Control-Expose-Headers': 'content-range, x-total-count, link, x-supabase-api-version, location',
};

/** Answers a CORS preflight; true when it did. */
export function handlePreflight(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, CORS_HEADERS);
  res.end();
  return true;
}

export function corsHeaders(): Record<string, string> {
  return { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': CORS_HEADERS['Access-Control-Expose-Headers'] };
}
