/**
 * The fake Strava API v3 + OAuth as a node http handler: mount it under a prefix in `serve`
 * (`createFakeStrava({ basePath: '/strava' })`) or run it alone (`startFakeStrava()`).
 * Answers with Strava's shapes, error JSON, rate-limit headers and statuses; faults injectable
 * at creation, through methods, or over HTTP at `{basePath}/_fake/faults`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nowSeconds, systemClock, type Clock } from '../clock.js';
import { createActivityCache, createAthleteDirectory, type AthleteDirectory } from './fake-athletes.js';
import { consentPage } from './fake-consent-page.js';
import { bearer, readBody, readParams, send, strava, type Reply } from './fake-http.js';
import { createFaultInjector, validateFaults, type FakeStravaFaults, type FaultInjector } from './fake-faults.js';
import { DEFAULT_SCOPE, FakeTokenStore, ACCESS_TOKEN_TTL_S } from './fake-tokens.js';
import { planForActivityId, type FakeAthlete } from './generator.js';
import type { StravaTokenResponse, StreamKey } from './port.js';
import {
  DEFAULT_RATE_LIMITS, formatPair, quarterHourIndex, utcDayIndex, type RateLimits,
} from './rate-windows.js';
import { ALL_STREAM_KEYS, generateStreams } from './streams.js';

export const DEFAULT_CLIENT_ID = '12345';
export const DEFAULT_CLIENT_SECRET = 'fake-strava-client-secret';
export const DEFAULT_DAYS = 365;
export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 200;
export { LOCAL_STRAVA_SUBSCRIPTION_ID } from './subscription.js';

export interface FakeStravaOptions {
  /** Which athletes exist. Default: 20 generated athletes of seed 42. */
  athletes?: AthleteDirectory;
  clock?: Clock;
  /** Days of activities served, ending at the clock's now. */
  days?: number;
  limits?: RateLimits;
  faults?: FakeStravaFaults;
  /** Mount prefix, e.g. `/strava`; '' for the root. */
  basePath?: string;
  clientId?: string;
  clientSecret?: string;
  /** Access-token lifetime (Strava: 6 h). */
  accessTokenTtlS?: number;
  onDeauthorize?: (athleteId: number) => void;
  /**
   * Domains an http(s) redirect_uri may point at besides loopback and this server's own host (as
   * Strava's "Authorization Callback Domain"; subdomains match). App schemes (`veloready://`) are
   * always accepted.
   */
  callbackDomains?: readonly string[];
}

export interface RateUsage {
  overall: [number, number];
  read: [number, number];
}

export interface FakeStrava {
  (req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  readonly directory: AthleteDirectory;
  readonly clientId: string;
  readonly clientSecret: string;
  /** A one-time authorization code for an athlete, as if they clicked "Authorize". */
  issueCode(athleteId: number, scope?: string): string;
  /** Tokens for an athlete without the OAuth dance. */
  issueTokens(athleteId: number, options?: { scope?: string; ttlS?: number }): StravaTokenResponse;
  /** Makes an access token expired now. */
  expireToken(accessToken: string): void;
  /** Replaces the faults; requests still waiting out the old latency go on at once. */
  setFaults(faults: FakeStravaFaults): void;
  /** The athlete deletes an activity on Strava: it answers 404 from now on. */
  deleteActivity(athleteId: number, activityId: number): void;
  /** The athlete revokes the app's access on strava.com: every token of theirs is refused. */
  revokeAthlete(athleteId: number): void;
  resetLimits(): void;
  usage(): RateUsage;
}

const INT_RE = /^\d+$/;
/** The OAuth routes this server owns (so a host mounting it at the root keeps its own /oauth/*). */
const OAUTH_PATHS = new Set(['/oauth/authorize', '/oauth/token', '/oauth/deauthorize']);

const hasActivityScope = (scope: string): boolean => /(^|,)activity:read(_all)?(,|$)/.test(scope);

export function createFakeStrava(options: FakeStravaOptions = {}): FakeStrava {
  const clock = options.clock ?? systemClock;
  const directory = options.athletes ?? createAthleteDirectory();
  const days = options.days ?? DEFAULT_DAYS;
  const limits = options.limits ?? DEFAULT_RATE_LIMITS;
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
  const clientSecret = options.clientSecret ?? DEFAULT_CLIENT_SECRET;
  const ttlS = options.accessTokenTtlS ?? ACCESS_TOKEN_TTL_S;
  const tokens = new FakeTokenStore();
  const generatedActivities = createActivityCache(days);
  /** Activities athletes deleted (`deleteActivity`), by id. */
  const deleted = new Set<number>();
  const activitiesOf = (athlete: FakeAthlete, nowMs: number) => {
    const list = generatedActivities(athlete, nowMs);
    return deleted.size === 0 ? list : list.filter((a) => !deleted.has(a.id));
  };
  let faults: FaultInjector = createFaultInjector(options.faults);
  /** Settles when the faults change: requests still waiting out the old latency go on at once. */
  let releaseHeld!: () => void;
  let faultsChanged = new Promise<void>((resolve) => (releaseHeld = resolve));
  const replaceFaults = (config?: FakeStravaFaults): void => {
    faults = createFaultInjector(config);
    releaseHeld();
    faultsChanged = new Promise<void>((resolve) => (releaseHeld = resolve));
  };
  let counters = { quarter: -1, day: -1, overall: [0, 0] as [number, number], read: [0, 0] as [number, number] };

  const rollWindows = (): void => {
    const now = clock.now();
    const q = quarterHourIndex(now);
    const d = utcDayIndex(now);
    if (d !== counters.day) counters = { quarter: q, day: d, overall: [0, 0], read: [0, 0] };
    if (q !== counters.quarter) {
      counters.quarter = q;
      counters.overall[0] = 0;
      counters.read[0] = 0;
    }
  };

  const rateHeaders = (): Record<string, string> => ({
    'X-RateLimit-Limit': formatPair(limits.overall.short, limits.overall.daily),
    'X-RateLimit-Usage': formatPair(...counters.overall),
    'X-ReadRateLimit-Limit': formatPair(limits.read.short, limits.read.daily),
    'X-ReadRateLimit-Usage': formatPair(...counters.read),
  });

  /** Counts an API request (rejected ones count too, as on Strava); true when over a limit. */
  const countRequest = (isRead: boolean): boolean => {
    rollWindows();
    counters.overall[0]++;
    counters.overall[1]++;
    if (isRead) {
      counters.read[0]++;
      counters.read[1]++;
    }
    const over = counters.overall[0] > limits.overall.short || counters.overall[1] > limits.overall.daily;
    const readOver = isRead && (counters.read[0] > limits.read.short || counters.read[1] > limits.read.daily);
    return over || readOver;
  };

  const tokenResponse = (athlete: FakeAthlete, scope: string, withAthlete: boolean, ttl = ttlS): StravaTokenResponse => {
    const t = tokens.issueTokens({ athleteId: athlete.profile.id, scope }, nowSeconds(clock), ttl);
    return {
      token_type: 'Bearer',
      access_token: t.accessToken,
      refresh_token: t.refreshToken,
      expires_at: t.expiresAt,
      expires_in: t.expiresAt - nowSeconds(clock),
      ...(withAthlete ? { athlete: athlete.profile } : {}),
    };
  };

  const authenticate = (req: IncomingMessage, url: URL): { athlete: FakeAthlete; scope: string } | Reply => {
    const token = bearer(req, url);
    if (!token) return strava.authError();
    const entry = tokens.checkAccess(token, nowSeconds(clock));
    if (entry === 'invalid' || entry === 'expired') return strava.authError();
    const athlete = directory.get(entry.athleteId);
    if (!athlete) return strava.authError();
    return { athlete, scope: entry.scope };
  };

  const findActivity = (athlete: FakeAthlete, idText: string) => {
    if (!INT_RE.test(idText)) return undefined;
    const plan = planForActivityId(athlete, Number(idText));
    if (!plan) return undefined;
    const served = activitiesOf(athlete, clock.now()).some((a) => a.id === plan.summary.id);
    return served ? plan : undefined;
  };

  const listActivities = (athlete: FakeAthlete, url: URL): Reply => {
    const q = url.searchParams;
    const ints: Record<string, number | undefined> = {};
    for (const name of ['before', 'after', 'page', 'per_page']) {
      const raw = q.get(name);
      if (raw === null || raw === '') continue;
      if (!INT_RE.test(raw)) return strava.badRequest('Application', name);
      ints[name] = Number(raw);
    }
    const page = ints.page ?? 1;
    const perPage = ints.per_page ?? DEFAULT_PER_PAGE;
    if (page < 1) return strava.badRequest('Application', 'page');
    if (perPage < 1 || perPage > MAX_PER_PAGE) return strava.badRequest('Application', 'per_page');
    let list = activitiesOf(athlete, clock.now()).filter((a) => {
      const start = Date.parse(a.start_date) / 1000;
      return (ints.before === undefined || start < ints.before) && (ints.after === undefined || start > ints.after);
    });
    // Strava: newest first, except with `after` alone, which lists oldest first.
    if (!(ints.after !== undefined && ints.before === undefined)) list = [...list].reverse();
    return { status: 200, body: list.slice((page - 1) * perPage, page * perPage) };
  };

  const streams = (athlete: FakeAthlete, idText: string, url: URL): Reply => {
    const plan = findActivity(athlete, idText);
    if (!plan) return strava.notFound('Activity');
    const keysParam = url.searchParams.get('keys');
    const asked = keysParam ? keysParam.split(',').map((k) => k.trim()).filter(Boolean) : ['time', 'distance'];
    for (const k of asked) if (!(ALL_STREAM_KEYS as readonly string[]).includes(k)) return strava.badRequest('Stream', 'keys');
    const keys = new Set<StreamKey>([...(asked as StreamKey[]), 'distance']);
    const set = generateStreams(plan, [...keys]);
    if (url.searchParams.get('key_by_type') === 'true') return { status: 200, body: set };
    return { status: 200, body: Object.values(set) };
  };

  const api = async (req: IncomingMessage, url: URL, path: string): Promise<{ route: string; reply: () => Reply }> => {
    const m = req.method ?? 'GET';
    const withAuth = (needsActivityScope: boolean, fn: (athlete: FakeAthlete) => Reply) => (): Reply => {
      const auth = authenticate(req, url);
      if ('status' in auth) return auth;
      if (needsActivityScope && !hasActivityScope(auth.scope)) {
        return strava.authError('activity:read_permission', 'missing', 'AccessToken');
      }
      return fn(auth.athlete);
    };
    if (m === 'GET' && path === '/api/v3/athlete') {
      return { route: 'GET /api/v3/athlete', reply: withAuth(false, (a) => ({ status: 200, body: { ...a.profile, resource_state: 3 } })) };
    }
    if (m === 'GET' && path === '/api/v3/athlete/activities') {
      return { route: 'GET /api/v3/athlete/activities', reply: withAuth(true, (a) => listActivities(a, url)) };
    }
    const streamMatch = /^\/api\/v3\/activities\/([^/]+)\/streams$/.exec(path);
    if (m === 'GET' && streamMatch) {
      return { route: 'GET /api/v3/activities/:id/streams', reply: withAuth(true, (a) => streams(a, streamMatch[1]!, url)) };
    }
    const activityMatch = /^\/api\/v3\/activities\/([^/]+)$/.exec(path);
    if (m === 'GET' && activityMatch) {
      return {
        route: 'GET /api/v3/activities/:id',
        reply: withAuth(true, (a) => {
          const plan = findActivity(a, activityMatch[1]!);
          if (!plan) return strava.notFound('Activity');
          const s = plan.summary;
          const detail = {
            ...s,
            resource_state: 3,
            description: null,
            calories: s.kilojoules !== undefined ? Math.round(s.kilojoules * 1.05) : Math.round(s.distance / 1000 * 65),
            device_name: s.sport_type === 'VirtualRide' ? 'Zwift' : 'Garmin Edge 840',
          };
          return { status: 200, body: detail };
        }),
      };
    }
    return { route: `${m} ${path}`, reply: () => ({ status: 404, body: { message: 'Record Not Found', errors: [{ resource: 'resource', field: 'path', code: 'invalid' }] } }) };
  };

  const oauthToken = (params: Record<string, string>): Reply => {
    if (params.client_id !== clientId) return strava.badRequest('Application', 'client_id');
    if (params.client_secret !== clientSecret) return strava.badRequest('Application', 'client_secret');
    const now = nowSeconds(clock);
    if (params.grant_type === 'authorization_code') {
      if (!params.code) return strava.badRequest('AuthorizationCode', 'code', 'missing');
      const grant = tokens.redeemCode(params.code, clientId, now);
      const athlete = grant && directory.get(grant.athleteId);
      if (!grant || !athlete) return strava.badRequest('AuthorizationCode', 'code');
      return { status: 200, body: tokenResponse(athlete, grant.scope, true) };
    }
    if (params.grant_type === 'refresh_token') {
      if (!params.refresh_token) return strava.badRequest('RefreshToken', 'refresh_token', 'missing');
      const grant = tokens.useRefreshToken(params.refresh_token);
      const athlete = grant && directory.get(grant.athleteId);
      if (!grant || !athlete) return strava.badRequest('RefreshToken', 'refresh_token');
      return { status: 200, body: tokenResponse(athlete, grant.scope, false) };
    }
    return strava.badRequest('Application', 'grant_type');
  };

  const authorizeCheck = (req: IncomingMessage, params: Record<string, string>): Reply | URL => {
    if (params.client_id !== clientId) return strava.badRequest('Application', 'client_id');
    if (params.response_type !== 'code') return strava.badRequest('Application', 'response_type');
    let redirect: URL;
    try {
      redirect = new URL(params.redirect_uri ?? '');
    } catch {
      return strava.badRequest('Application', 'redirect_uri');
    }
    if (!redirectAllowed(redirect, req.headers.host, options.callbackDomains ?? [])) return strava.badRequest('Application', 'redirect_uri');
    return redirect;
  };

  const adminRoutes = async (req: IncomingMessage, path: string): Promise<Reply | undefined> => {
    if (path === '/_fake/faults' && req.method === 'POST') {
      try {
        const text = await readBody(req);
        const config = validateFaults(text ? JSON.parse(text) : {});
        replaceFaults(config);
        return { status: 200, body: { faults: config } };
      } catch (err) {
        return { status: 400, body: { error: { code: 'BAD_FAULTS', message: err instanceof Error ? err.message : String(err) } } };
      }
    }
    if (path === '/_fake/faults' && req.method === 'DELETE') {
      replaceFaults();
      return { status: 200, body: { faults: {} } };
    }
    const deleteMatch = /^\/_fake\/athletes\/(\d+)\/activities\/(\d+)$/.exec(path);
    if (deleteMatch && req.method === 'DELETE') {
      deleted.add(Number(deleteMatch[2]));
      return { status: 200, body: { deleted: Number(deleteMatch[2]) } };
    }
    const revokeMatch = /^\/_fake\/athletes\/(\d+)\/revoke$/.exec(path);
    if (revokeMatch && req.method === 'POST') {
      tokens.revokeAthlete(Number(revokeMatch[1]));
      return { status: 200, body: { revoked: Number(revokeMatch[1]) } };
    }
    if (path === '/_fake/reset-limits' && req.method === 'POST') {
      counters = { quarter: -1, day: -1, overall: [0, 0], read: [0, 0] };
      return { status: 200, body: { ok: true } };
    }
    if (path === '/_fake/state' && req.method === 'GET') {
      rollWindows();
      return {
        status: 200,
        body: { usage: { overall: counters.overall, read: counters.read }, limits, faults: faults.config, athletes: directory.list().map((a) => a.profile.id), days },
      };
    }
    return undefined;
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://fake-strava.local');
    if (basePath && url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) return false;
    const path = url.pathname.slice(basePath.length) || '/';
    const isApi = path.startsWith('/api/v3/');
    const isOauth = OAUTH_PATHS.has(path);
    const isAdmin = path.startsWith('/_fake/');
    if (!basePath && !isApi && !isOauth && !isAdmin) return false;
    try {
      if (isAdmin) {
        const reply = (await adminRoutes(req, path)) ?? { status: 404, body: { error: { code: 'NOT_FOUND', message: `no admin route ${req.method} ${path}` } } };
        send(res, reply, {});
        return true;
      }
      const latency = faults.config.latencyMs;
      if (latency) await Promise.race([clock.sleep(latency), faultsChanged]);
      if (isApi) {
        const { route, reply } = await api(req, url, path);
        const over = countRequest(req.method === 'GET');
        const forced = faults.decide(route, true);
        if (forced === 429) {
          counters.overall[0] = Math.max(counters.overall[0], limits.overall.short);
          return (send(res, strava.rateLimited(), rateHeaders()), true);
        }
        if (forced) return (send(res, strava.serverError(forced), rateHeaders()), true);
        send(res, over ? strava.rateLimited() : reply(), rateHeaders());
        return true;
      }
      if (isOauth) {
        const params = await readParams(req, url);
        const route = `${req.method} ${path}`;
        const forced = faults.decide(route, false);
        if (forced) return (send(res, forced === 429 ? strava.rateLimited() : strava.serverError(forced), {}), true);
        send(res, await oauth(req, path, params), {});
        return true;
      }
      send(res, { status: 404, body: { message: 'Record Not Found', errors: [{ resource: 'resource', field: 'path', code: 'invalid' }] } }, {});
      return true;
    } catch (err) {
      const reply = err instanceof SyntaxError || err instanceof RangeError
        ? strava.badRequest('Request', 'body')
        : strava.serverError(500);
      if (!res.headersSent) send(res, reply, {});
      return true;
    }
  };

  const oauth = async (req: IncomingMessage, path: string, params: Record<string, string>): Promise<Reply> => {
    if (path === '/oauth/token' && req.method === 'POST') return oauthToken(params);
    if (path === '/oauth/authorize' && req.method === 'GET') {
      const check = authorizeCheck(req, params);
      if (!(check instanceof URL)) return check;
      const hidden = {
        client_id: params.client_id!,
        redirect_uri: params.redirect_uri!,
        response_type: 'code',
        scope: params.scope || DEFAULT_SCOPE,
        state: params.state ?? '',
      };
      return { status: 200, body: consentPage(`${basePath}/oauth/authorize`, hidden, directory.list()) };
    }
    if (path === '/oauth/authorize' && req.method === 'POST') {
      const check = authorizeCheck(req, params);
      if (!(check instanceof URL)) return check;
      const redirect = check;
      if (params.state) redirect.searchParams.set('state', params.state);
      if (params.deny) {
        redirect.searchParams.set('error', 'access_denied');
      } else {
        const athleteId = Number(params.athlete_id);
        if (!INT_RE.test(params.athlete_id ?? '') || !directory.get(athleteId)) return strava.badRequest('Athlete', 'athlete_id');
        const scope = params.scope || DEFAULT_SCOPE;
        redirect.searchParams.set('code', tokens.issueCode({ athleteId, scope }, clientId, nowSeconds(clock)));
        redirect.searchParams.set('scope', scope);
      }
      return { status: 302, body: '', headers: { Location: redirect.toString() } };
    }
    if (path === '/oauth/deauthorize' && req.method === 'POST') {
      const token = params.access_token ?? (req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : undefined);
      if (!token) return strava.authError();
      const entry = tokens.checkAccess(token, nowSeconds(clock));
      if (entry === 'invalid' || entry === 'expired') return strava.authError();
      tokens.revokeAthlete(entry.athleteId);
      options.onDeauthorize?.(entry.athleteId);
      return { status: 200, body: { access_token: token } };
    }
    return { status: 404, body: { message: 'Record Not Found', errors: [{ resource: 'resource', field: 'path', code: 'invalid' }] } };
  };

  const requireAthlete = (athleteId: number): FakeAthlete => {
    const athlete = directory.get(athleteId);
    if (!athlete) throw new RangeError(`the fake Strava has no athlete ${athleteId}`);
    return athlete;
  };

  return Object.assign(handler, {
    directory,
    clientId,
    clientSecret,
    issueCode: (athleteId: number, scope = 'read,activity:read_all') =>
      tokens.issueCode({ athleteId: requireAthlete(athleteId).profile.id, scope }, clientId, nowSeconds(clock)),
    issueTokens: (athleteId: number, opts: { scope?: string; ttlS?: number } = {}) =>
      tokenResponse(requireAthlete(athleteId), opts.scope ?? 'read,activity:read_all', true, opts.ttlS ?? ttlS),
    expireToken: (token: string) => tokens.expire(token),
    deleteActivity: (athleteId: number, activityId: number) => {
      requireAthlete(athleteId);
      deleted.add(activityId);
    },
    revokeAthlete: (athleteId: number) => tokens.revokeAthlete(requireAthlete(athleteId).profile.id),
    setFaults: (f: FakeStravaFaults) => replaceFaults(validateFaults(f)),
    resetLimits: () => {
      counters = { quarter: -1, day: -1, overall: [0, 0], read: [0, 0] };
    },
    usage: (): RateUsage => {
      rollWindows();
      return { overall: [...counters.overall], read: [...counters.read] };
    },
  });
}

export interface RunningFakeStrava {
  fake: FakeStrava;
  /** e.g. http://127.0.0.1:54321 (plus basePath, if any). */
  url: string;
  close(): Promise<void>;
}

/** The fake Strava on its own HTTP server (port 0 = any free port). */
export async function startFakeStrava(options: FakeStravaOptions & { port?: number; host?: string } = {}): Promise<RunningFakeStrava> {
  const fake = createFakeStrava(options);
  const server = createServer((req, res) => {
    void fake(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: 'Record Not Found', errors: [] }));
      }
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    fake,
    url: `http://${host}:${port}${(options.basePath ?? '').replace(/\/+$/, '')}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const NEVER_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'blob:', 'vbscript:']);

/**
 * Where the consent page may send the browser with a code: an app scheme, or an http(s) URL on
 * loopback, on this server's own host, or on a callback domain. Anything else would make the fake
 * an open redirect that hands codes to any site.
 */
export function redirectAllowed(redirect: URL, ownHost: string | undefined, callbackDomains: readonly string[]): boolean {
  if (NEVER_SCHEMES.has(redirect.protocol)) return false;
  if (redirect.protocol !== 'http:' && redirect.protocol !== 'https:') return true;
  const host = redirect.hostname.toLowerCase();
  if (LOOPBACK_HOSTS.has(host) || host.endsWith('.localhost')) return true;
  if (ownHost && redirect.host.toLowerCase() === ownHost.toLowerCase()) return true;
  return callbackDomains.some((d) => host === d.toLowerCase() || host.endsWith(`.${d.toLowerCase()}`));
}
