/**
 * Which requests serve rate-limits, and the 429 they get. Token and login endpoints always (per
 * client address, and per user when the request carries a valid token); `/api/*` reads per user
 * only when asked (`serve --rate-limit`), so benchmarks and load tests are unaffected by default.
 */
import type { IncomingMessage } from 'node:http';
import { createTokenVerifier } from '../auth/jwt.js';
import type { Clock } from '../clock.js';
import { jsonError } from '../emulator/http-error.js';
import type { NetlifyResponse } from '../emulator/types.js';
import { createRateLimiter, type Budget } from './limiter.js';

/** Token and login endpoints: brute-force targets. */
export const LOGIN_PATHS: ReadonlySet<string> = new Set(['/auth/refresh', '/oauth/strava/callback', '/auth/v1/token', '/auth/disconnect']);
/** Generous for development (an app retrying, a test suite signing in often), tight for guessing. */
export const DEFAULT_LOGIN_BUDGET: Budget = { limit: 60, windowMs: 60_000 };
/** `--rate-limit`: reads under /api/ per user. */
export const DEFAULT_API_BUDGET: Budget = { limit: 600, windowMs: 60_000 };
const API_PREFIX = '/api/';

export interface RequestGate {
  /** Cheap: whether `check` must run for this path at all. */
  applies(path: string): boolean;
  /** undefined to let the request through; else the 429. */
  check(req: IncomingMessage, path: string): NetlifyResponse | undefined;
}

export interface GateOptions {
  clock: Clock;
  jwtSecret: string;
  login?: Budget;
  /** Set to limit /api/* reads per user. */
  api?: Budget;
}

const BEARER_RE = /^Bearer\s+(\S+)\s*$/i;

export function createRequestGate(opts: GateOptions): RequestGate {
  const login = createRateLimiter(opts.login ?? DEFAULT_LOGIN_BUDGET, opts.clock);
  const api = opts.api ? createRateLimiter(opts.api, opts.clock) : undefined;
  const verify = createTokenVerifier({ secret: opts.jwtSecret, clock: opts.clock });

  /** The verified user (`sub`, or the role for keys without one) of the request's token, if any. */
  const userOf = (req: IncomingMessage): string | undefined => {
    const m = req.headers.authorization ? BEARER_RE.exec(req.headers.authorization) : null;
    if (!m) return undefined;
    try {
      const claims = verify(m[1]!);
      return claims.sub ?? claims.role;
    } catch {
      return undefined;
    }
  };
  const tooMany = (path: string, who: string, retryAfterS: number): NetlifyResponse => {
    const res = jsonError(429, 'RATE_LIMITED', `too many requests to ${path} from ${who}; retry in ${retryAfterS} s`);
    return { ...res, headers: { ...res.headers, 'retry-after': String(retryAfterS) } };
  };

  return {
    applies: (path) => LOGIN_PATHS.has(path) || (api !== undefined && path.startsWith(API_PREFIX)),
    check(req, path) {
      const address = req.socket.remoteAddress ?? 'unknown';
      const user = userOf(req);
      if (LOGIN_PATHS.has(path)) {
        const byAddress = login.take(`${path}|ip:${address}`);
        if (!byAddress.ok) return tooMany(path, `this address (${address})`, byAddress.retryAfterS);
        if (user) {
          const byUser = login.take(`${path}|user:${user}`);
          if (!byUser.ok) return tooMany(path, 'this user', byUser.retryAfterS);
        }
        return undefined;
      }
      if (api && (req.method === 'GET' || req.method === 'HEAD')) {
        const taken = api.take(user ? `user:${user}` : `ip:${address}`);
        if (!taken.ok) return tooMany(path, user ? 'this user' : `this address (${address})`, taken.retryAfterS);
      }
      return undefined;
    },
  };
}
