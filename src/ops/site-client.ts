import type { Dispatcher } from 'undici';
import { systemClock, type Clock } from '../clock.js';
import { redactUrl } from '../config/redact.js';
import { VeloError } from '../errors.js';

export const DEFAULT_RETRIES = 4;
const RETRY_BASE_MS = 300;
const RETRY_MAX_MS = 15_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** The longest Retry-After the client waits out; a site asking for more gets an error instead. */
export const MAX_RETRY_AFTER_MS = 60_000;

export interface SiteRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface SiteResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

export interface SiteClientOptions {
  /** A deployed site or a running serve, e.g. http://127.0.0.1:8888. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer` unless a request sets its own. */
  token?: string;
  clock?: Clock;
  retries?: number;
  /** Records requests instead of sending them (`--dry-run`). */
  dryRun?: (req: SiteRequest & { url: string }) => void;
  /** Called before each retry wait: (status or error code, wait ms). */
  onRetry?: (reason: string, waitMs: number) => void;
  dispatcher?: Dispatcher;
}

export interface SiteClient {
  readonly baseUrl: string;
  send<T = unknown>(req: SiteRequest): Promise<SiteResponse<T>>;
  close(): Promise<void>;
}

/** A site's base URL, without trailing slashes; anything but an http(s) URL is bad usage (exit 2). */
export function checkSiteUrl(raw: string): string {
  const baseUrl = raw.replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new VeloError('INVALID_URL', `"${redactUrl(raw)}" is not a URL`, 'pass --url https://<site> or set VELOREADY_API_URL', 2);
  }
  if (!/^https?:$/.test(parsed.protocol)) throw new VeloError('INVALID_URL', `"${redactUrl(raw)}" is not an http(s) URL`, undefined, 2);
  return baseUrl;
}

const retryable = (status: number): boolean => status === 429 || status >= 500;

function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The function API of a site, over undici with keep-alive. Network errors, 5xx and 429 are retried
 * with backoff (429 honours Retry-After); what still fails becomes one error naming the URL and status.
 */
export function createSiteClient(opts: SiteClientOptions): SiteClient {
  const baseUrl = checkSiteUrl(opts.baseUrl);
  const clock = opts.clock ?? systemClock;
  const retries = opts.retries ?? DEFAULT_RETRIES;
  // undici on the first request sent: a dry run, or a command stopped before it reaches the site,
  // never pays its import (~0.15 s of CPU, as much as the rest of such a command's start).
  let transport: Promise<{ request: typeof import('undici').request; dispatcher: Dispatcher }> | undefined;
  const http = () =>
    (transport ??= import('undici').then(({ Agent, request }) => ({
      request,
      dispatcher: opts.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connections: 32 }),
    })));

  async function once<T>(req: SiteRequest, url: string): Promise<SiteResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (opts.token && !headers.authorization) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (req.body !== undefined) {
      body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
      headers['content-type'] ??= 'application/json';
    }
    const { request, dispatcher } = await http();
    const res = await request(url, { method: req.method, headers, body, dispatcher, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
    const text = await res.body.text();
    let parsedBody: unknown = text;
    if (text && String(res.headers['content-type'] ?? '').includes('json')) {
      try {
        parsedBody = JSON.parse(text);
      } catch {
        /* leave as text */
      }
    }
    return { status: res.statusCode, headers: res.headers, body: parsedBody as T };
  }

  return {
    baseUrl,
    async send<T>(req: SiteRequest): Promise<SiteResponse<T>> {
      const url = `${baseUrl}${req.path}`;
      if (opts.dryRun) {
        opts.dryRun({ ...req, url });
        return { status: 0, headers: {}, body: undefined as T };
      }
      for (let attempt = 0; ; attempt++) {
        let failure: string;
        let waitHint: number | undefined;
        try {
          const res = await once<T>(req, url);
          if (!retryable(res.status) || attempt >= retries) {
            if (retryable(res.status)) {
              throw new VeloError(
                res.status === 429 ? 'SITE_RATE_LIMITED' : 'SITE_ERROR',
                `${req.method} ${redactUrl(url)} answered ${res.status} after ${attempt + 1} attempts${errorDetail(res.body)}`,
                res.status === 429 ? 'lower --concurrency or try again later' : 'check the site\'s function logs',
              );
            }
            return res;
          }
          failure = String(res.status);
          waitHint = res.status === 429 ? retryAfterMs(res.headers['retry-after'], clock.now()) : undefined;
          if (waitHint !== undefined && waitHint > MAX_RETRY_AFTER_MS) {
            // Sleeping for as long as a site asks (an hour, a day) would look like a hang.
            throw new VeloError(
              'SITE_RATE_LIMITED',
              `${req.method} ${redactUrl(url)} answered 429 and asks to wait ${Math.ceil(waitHint / 1000)} s`,
              'try again later, or lower --concurrency',
            );
          }
        } catch (err) {
          if (err instanceof VeloError) throw err;
          const code = (err as { code?: string }).code ?? (err as Error).name;
          if (attempt >= retries) {
            throw new VeloError('SITE_UNREACHABLE', `${req.method} ${redactUrl(url)} failed after ${attempt + 1} attempts: ${code}`, `is the site up? for a local serve run: veloready serve`, 1, { cause: err });
          }
          failure = code;
        }
        const backoff = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
        const wait = waitHint ?? backoff;
        opts.onRetry?.(failure, wait);
        await clock.sleep(wait);
      }
    },
    close: async () => {
      if (!opts.dispatcher && transport) await (await transport).dispatcher.close();
    },
  };
}

export function errorDetail(body: unknown): string {
  const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return e?.message ? `: ${e.code ? `${e.code}: ` : ''}${e.message}` : '';
}
