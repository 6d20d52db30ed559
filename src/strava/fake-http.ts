/** HTTP plumbing of the fake Strava: request parsing, Strava's error bodies, replies. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const MAX_BODY_BYTES = 64 * 1024;

export type Reply = { status: number; body: unknown; headers?: Record<string, string> };

/** Strava's error bodies and statuses. */
export const strava = {
  authError: (field = 'access_token', code = 'invalid', resource = 'Athlete'): Reply => ({
    status: 401,
    body: { message: 'Authorization Error', errors: [{ resource, field, code }] },
  }),
  notFound: (resource: string, field = 'id'): Reply => ({
    status: 404,
    body: { message: 'Resource Not Found', errors: [{ resource, field, code: 'invalid' }] },
  }),
  badRequest: (resource: string, field: string, code = 'invalid'): Reply => ({
    status: 400,
    body: { message: 'Bad Request', errors: [{ resource, field, code }] },
  }),
  rateLimited: (): Reply => ({
    status: 429,
    body: { message: 'Rate Limit Exceeded', errors: [{ resource: 'Application', field: 'rate limit', code: 'exceeded' }] },
  }),
  serverError: (status: number): Reply => ({
    status,
    body: { message: status === 503 ? 'Service Unavailable' : 'Internal Server Error', errors: [] },
  }),
};


export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new RangeError('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Form, JSON and query parameters merged (Strava accepts all three on /oauth/token). */
export async function readParams(req: IncomingMessage, url: URL): Promise<Record<string, string>> {
  const params: Record<string, string> = Object.fromEntries(url.searchParams);
  if (req.method !== 'POST') return params;
  const text = await readBody(req);
  if (!text) return params;
  const type = String(req.headers['content-type'] ?? '');
  if (type.includes('application/json')) {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') {
      for (const [k, v] of Object.entries(parsed)) if (v !== null && v !== undefined) params[k] = String(v);
    }
  } else {
    for (const [k, v] of new URLSearchParams(text)) params[k] = v;
  }
  return params;
}

export function bearer(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  return url.searchParams.get('access_token') ?? undefined;
}

/** Writes a reply: JSON bodies as JSON, strings as HTML. */
export function send(res: ServerResponse, reply: Reply, extraHeaders: Record<string, string>): void {
  const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'Content-Type': typeof reply.body === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...extraHeaders,
    ...reply.headers,
  });
  res.end(body);
}
