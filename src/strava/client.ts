/**
 * The Strava client production code uses (undici): real Strava or the fake one, by base URL.
 * Refreshes expired tokens (persisting them through `creds.onRefresh`), respects rate limits
 * (./rate-limiter.ts), retries 5xx and network errors with exponential backoff and jitter.
 */
import { request, type Dispatcher } from 'undici';
import { nowSeconds, systemClock, type Clock } from '../clock.js';
import { StravaError, stravaErrorForStatus } from './errors.js';
import type {
  ListActivitiesParams, RateLimitEvent, Strava, StravaActivitySummary, StravaAthlete, StravaCredentials,
  StravaStreamSet, StravaTokenResponse, StreamKey,
} from './port.js';
import { createRng } from './prng.js';
import { RateLimiter, type HeaderBag } from './rate-limiter.js';
import type { RateLimits } from './rate-windows.js';

export const STRAVA_BASE_URL = 'https://www.strava.com';
/** Refresh this long before expiry, so a token never dies mid-request. */
export const REFRESH_MARGIN_S = 60;
export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_RETRY_BASE_MS = 500;
export const MAX_RETRY_DELAY_MS = 30_000;
export const DEFAULT_MAX_RATE_LIMIT_WAITS = 5;
export const REQUEST_TIMEOUT_MS = 30_000;

export interface StravaClientOptions {
  /** `https://www.strava.com`, or the fake (`http://127.0.0.1:8888/strava`). */
  baseUrl?: string;
  clientId: string;
  clientSecret: string;
  clock?: Clock;
  onRateLimit?: (event: RateLimitEvent) => void;
  /** Limits assumed before the first response (the server's headers then win). */
  limits?: RateLimits;
  maxRetries?: number;
  retryBaseMs?: number;
  maxRateLimitWaits?: number;
  /** 0..1 source for jitter; default a seeded PRNG. */
  random?: () => number;
  dispatcher?: Dispatcher;
  /** Share of a window after which requests are spaced out (default 0.8; 1 = never). */
  spreadThreshold?: number;
}

export interface StravaClient extends Strava {
  readonly limiter: RateLimiter;
}

interface Call {
  method: 'GET' | 'POST';
  path: string;
  what: string;
  query?: Record<string, string | number | undefined>;
  form?: Record<string, string>;
  creds?: StravaCredentials;
  /** Counted against the rate limit (API calls, not OAuth). */
  limited: boolean;
}

const isRetryableStatus = (status: number): boolean => status >= 500 && status <= 599;

/** A success body as JSON; anything else (a proxy's HTML page, a cut-off body) is Strava's failure, not a crash. */
function parseJson<T>(text: string, what: string, status: number): T {
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new StravaError('STRAVA_BAD_RESPONSE', `Strava answered ${what} (HTTP ${status}) with a body that is not JSON: ${text.slice(0, 80)}`, status, 'Check the Strava base URL: it should point at the Strava API, not a web page.', { cause: err });
  }
}

export function createStravaClient(options: StravaClientOptions): StravaClient {
  const baseUrl = (options.baseUrl ?? STRAVA_BASE_URL).replace(/\/+$/, '');
  const clock = options.clock ?? systemClock;
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  const maxWaits = options.maxRateLimitWaits ?? DEFAULT_MAX_RATE_LIMIT_WAITS;
  const random = options.random ?? createRng('strava-client-jitter').next;
  const limiter = new RateLimiter({ clock, limits: options.limits, onRateLimit: options.onRateLimit, spreadThreshold: options.spreadThreshold });
  const refreshing = new Map<string, Promise<void>>();

  const backoff = (attempt: number): number =>
    Math.min(MAX_RETRY_DELAY_MS, retryBaseMs * 2 ** attempt) * (0.5 + random());

  async function send(call: Call): Promise<{ status: number; headers: HeaderBag; text: string }> {
    const url = new URL(baseUrl + call.path);
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (call.creds) headers.Authorization = `Bearer ${call.creds.accessToken}`;
    let body: string | undefined;
    if (call.form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(call.form).toString();
    }
    const res = await request(url, {
      method: call.method,
      headers,
      body,
      dispatcher: options.dispatcher,
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers as HeaderBag, text };
  }

  async function refreshCreds(creds: StravaCredentials): Promise<void> {
    const key = creds.refreshToken;
    let pending = refreshing.get(key);
    if (!pending) {
      pending = (async () => {
        const tokens = await client.refreshToken(creds.refreshToken).catch((err: unknown) => {
          if (err instanceof StravaError && err.status === 400) {
            throw new StravaError('STRAVA_UNAUTHORIZED', 'Strava refused the refresh token: the athlete revoked access or the token was rotated', 401, 'Reconnect the athlete to Strava.', { cause: err });
          }
          throw err;
        });
        creds.accessToken = tokens.access_token;
        creds.refreshToken = tokens.refresh_token;
        creds.expiresAt = tokens.expires_at;
        await creds.onRefresh?.(tokens);
      })().finally(() => refreshing.delete(key));
      refreshing.set(key, pending);
    }
    await pending;
  }

  async function call<T>(c: Call): Promise<T> {
    let retries = 0;
    let waits = 0;
    let refreshed = false;
    for (;;) {
      if (c.limited) await limiter.acquire(c.method === 'GET');
      // After the limiter: a rate-limit wait (up to midnight UTC) can outlast the token.
      if (c.creds && c.creds.expiresAt - REFRESH_MARGIN_S <= nowSeconds(clock)) await refreshCreds(c.creds);
      let res: { status: number; headers: HeaderBag; text: string };
      try {
        res = await send(c);
      } catch (err) {
        if (retries >= maxRetries) {
          throw new StravaError('STRAVA_UNAVAILABLE', `could not reach Strava for ${c.what}: ${(err as Error).message}`, 0, `Check the Strava base URL (${baseUrl}) and the network.`, { cause: err });
        }
        await clock.sleep(backoff(retries++));
        continue;
      }
      if (c.limited) limiter.observe(res.headers);
      if (res.status >= 200 && res.status < 300) return parseJson<T>(res.text, c.what, res.status);
      if (res.status === 429 && waits < maxWaits) {
        waits++;
        await limiter.onTooManyRequests(res.headers);
        continue;
      }
      if (res.status === 401 && c.creds && !refreshed) {
        refreshed = true;
        await refreshCreds(c.creds);
        continue;
      }
      if (isRetryableStatus(res.status) && retries < maxRetries) {
        await clock.sleep(backoff(retries++));
        continue;
      }
      throw stravaErrorForStatus(res.status, c.what, res.text.slice(0, 200));
    }
  }

  const oauth = (what: string, form: Record<string, string>) =>
    call<StravaTokenResponse>({ method: 'POST', path: '/oauth/token', what, form: { client_id: options.clientId, client_secret: options.clientSecret, ...form }, limited: false });

  const client: StravaClient = {
    limiter,
    exchangeCode: (code) => oauth('the authorization code', { grant_type: 'authorization_code', code }),
    refreshToken: (refreshToken) => oauth('the refresh token', { grant_type: 'refresh_token', refresh_token: refreshToken }),
    deauthorize: async (accessToken) => {
      await call<unknown>({ method: 'POST', path: '/oauth/deauthorize', what: 'deauthorization', form: { access_token: accessToken }, limited: false });
    },
    getAthlete: (creds) => call<StravaAthlete>({ method: 'GET', path: '/api/v3/athlete', what: 'the athlete', creds, limited: true }),
    listActivities: (creds, params: ListActivitiesParams) =>
      call<StravaActivitySummary[]>({
        method: 'GET',
        path: '/api/v3/athlete/activities',
        what: 'the activity list',
        creds,
        limited: true,
        query: { before: params.before, after: params.after, page: params.page, per_page: params.perPage },
      }),
    getActivity: (creds, id) =>
      call<StravaActivitySummary>({ method: 'GET', path: `/api/v3/activities/${encodeURIComponent(String(id))}`, what: `activity ${id}`, creds, limited: true }),
    getStreams: (creds, id, keys: readonly StreamKey[]) =>
      call<StravaStreamSet>({
        method: 'GET',
        path: `/api/v3/activities/${encodeURIComponent(String(id))}/streams`,
        what: `streams of activity ${id}`,
        creds,
        limited: true,
        query: { keys: keys.join(','), key_by_type: 'true' },
      }),
  };
  return client;
}
