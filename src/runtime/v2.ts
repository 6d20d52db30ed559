import type { NetlifyEvent, NetlifyResponse } from '../emulator/types.js';
import type { WorkerSetup } from './messages.js';
import { InvalidResponseError } from './lambda.js';
import { MOVED_BODY_MIN_BYTES } from './moved-body.js';

const TEXT_TYPE_RE = /^(text\/|application\/(json|[\w.+-]*\+json|xml|[\w.+-]*\+xml|x-www-form-urlencoded|javascript|graphql))/i;

/** The web Request a v2 function receives for serve's event. */
export function webRequest(event: NetlifyEvent): Request {
  const headers = new Headers();
  for (const [name, values] of Object.entries(event.multiValueHeaders)) for (const v of values) headers.append(name, v);
  const method = event.httpMethod.toUpperCase();
  const hasBody = event.body !== null && method !== 'GET' && method !== 'HEAD';
  const body = hasBody ? Buffer.from(event.body!, event.isBase64Encoded ? 'base64' : 'utf8') : undefined;
  return new Request(event.rawUrl, { method, headers, ...(body ? { body } : {}) });
}

export interface CookieOptions {
  name: string;
  value: string;
  domain?: string;
  path?: string;
  expires?: Date | number | string;
  maxAge?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None';
}

/** Netlify's `context.cookies`: reads the request's, and what is set or deleted goes out as Set-Cookie. */
export class Cookies {
  private readonly incoming = new Map<string, string>();
  readonly outgoing: string[] = [];
  constructor(header: string | null) {
    for (const part of (header ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0) this.incoming.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()));
    }
  }
  get(name: string): string | undefined {
    return this.incoming.get(name);
  }
  set(nameOrOptions: string | CookieOptions, value?: string): void {
    const o = typeof nameOrOptions === 'string' ? { name: nameOrOptions, value: value ?? '' } : nameOrOptions;
    const attrs = [`${o.name}=${encodeURIComponent(o.value)}`, `Path=${o.path ?? '/'}`];
    if (o.domain) attrs.push(`Domain=${o.domain}`);
    if (o.expires !== undefined) attrs.push(`Expires=${new Date(o.expires).toUTCString()}`);
    if (o.maxAge !== undefined) attrs.push(`Max-Age=${o.maxAge}`);
    if (o.httpOnly) attrs.push('HttpOnly');
    if (o.secure) attrs.push('Secure');
    if (o.sameSite) attrs.push(`SameSite=${o.sameSite}`);
    this.outgoing.push(attrs.join('; '));
  }
  delete(nameOrOptions: string | { name: string; path?: string; domain?: string }): void {
    const o = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : nameOrOptions;
    this.set({ ...o, value: '', expires: 0 });
  }
}

export interface V2ContextInput {
  request: Request;
  params: Record<string, string>;
  requestId: string;
  setup: WorkerSetup;
  waitUntil(promise: Promise<unknown>): void;
}

/** Netlify's v2 `Context`, the fields a function reads. */
export function v2Context(input: V2ContextInput): { cookies: Cookies } & Record<string, unknown> {
  const { request, setup } = input;
  const url = new URL(request.url);
  const ip = request.headers.get('x-nf-client-connection-ip') ?? request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() ?? '127.0.0.1';
  return {
    account: { id: '' },
    cookies: new Cookies(request.headers.get('cookie')),
    deploy: { context: 'dev', id: setup.blobs.deployID, published: false },
    geo: { city: 'Mountain View', country: { code: 'US', name: 'United States' }, subdivision: { code: 'CA', name: 'California' }, timezone: 'UTC', latitude: 0, longitude: 0, postalCode: '' },
    ip,
    json: (body: unknown, init?: ResponseInit) => Response.json(body, init),
    log: (...args: unknown[]) => console.log(...args),
    next: () => {
      throw new Error('context.next() is only available in edge functions');
    },
    params: { ...input.params },
    requestId: input.requestId,
    server: { region: 'dev' },
    site: { id: setup.site.id, name: setup.site.name, url: setup.site.url },
    url,
    waitUntil: input.waitUntil,
  };
}

/** The web Response a v2 function returned, as serve's response (the body read whole). */
export async function fromWebResponse(result: unknown, cookies: Cookies): Promise<NetlifyResponse> {
  if (result === undefined) return { statusCode: 204, ...(cookies.outgoing.length ? { multiValueHeaders: { 'set-cookie': cookies.outgoing } } : {}) };
  if (!(result instanceof Response)) throw new InvalidResponseError(`the function returned ${typeof result === 'object' ? 'an object that is not a Response' : typeof result}; return a Response`);
  const headers: Record<string, string> = {};
  result.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const setCookies = [...result.headers.getSetCookie(), ...cookies.outgoing];
  const bytes = Buffer.from(await result.arrayBuffer());
  const text = TEXT_TYPE_RE.test(headers['content-type'] ?? 'text/plain');
  // A large body stays bytes (moved to serve's thread as they are); a small one becomes the event-style string.
  const body = bytes.length >= MOVED_BODY_MIN_BYTES ? { bytes } : bytes.length ? { body: bytes.toString(text ? 'utf8' : 'base64') } : {};
  return {
    statusCode: result.status,
    headers,
    ...(setCookies.length ? { multiValueHeaders: { 'set-cookie': setCookies } } : {}),
    ...body,
    ...(bytes.length && !text ? { isBase64Encoded: true } : {}),
  };
}
