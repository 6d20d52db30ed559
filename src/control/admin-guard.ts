import { timingSafeEqual, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { jsonError } from '../emulator/http-error.js';
import type { NetlifyResponse } from '../emulator/types.js';

/**
 * The gate in front of serve's admin surfaces (the inspector at `/_/`, its API at `/_/api/`, the
 * clock and snapshot controls). A local server is still reachable from any page a browser opens,
 * so every admin request passes three checks:
 *   - DNS rebinding: the `Host` header must name the bound address, `localhost` or a loopback IP;
 *   - cross-site requests: a foreign `Origin` (or `Sec-Fetch-Site: cross-site`) is refused, and a
 *     state-changing call must carry the per-run token in `x-veloready-token` (never a cookie);
 *   - off loopback (`--host 0.0.0.0`): every call must carry the service-role key as a Bearer token.
 */
export interface AdminGuard {
  /** The per-run token: written to serve.json (0600) for the CLI, embedded in the inspector page. */
  readonly token: string;
  /** Undefined when the request may go on; else the JSON error to answer with. */
  check(req: IncomingMessage): NetlifyResponse | undefined;
}

export interface AdminGuardOptions {
  /** The address serve is bound to (`--host`), e.g. `127.0.0.1`, `::1`, `0.0.0.0`. */
  boundHost: string;
  /** The port serve listens on (read per request: it is known only once listening). */
  port: () => number;
  /** Required as `Authorization: Bearer …` on every call when serve is bound off loopback. */
  serviceRoleKey?: string;
  /** The per-run token (tests pass their own); random by default. */
  token?: string;
}

export const ADMIN_TOKEN_HEADER = 'x-veloready-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

export function isLoopbackHost(host: string): boolean {
  const name = stripBrackets(host.toLowerCase());
  return LOOPBACK_NAMES.has(name) || /^127(\.\d{1,3}){3}$/.test(name);
}

export function createAdminGuard(opts: AdminGuardOptions): AdminGuard {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const bound = stripBrackets(opts.boundHost.toLowerCase());
  const offLoopback = !isLoopbackHost(bound);
  const allowedName = (name: string): boolean => isLoopbackHost(name) || (name === bound && bound !== '0.0.0.0' && bound !== '::');

  return {
    token,
    check(req) {
      const host = parseHost(req.headers.host);
      if (!host || !allowedName(host.name)) {
        return jsonError(403, 'HOST_NOT_ALLOWED', `the admin API answers only on ${isLoopbackHost(bound) ? 'a loopback host' : bound}; Host "${req.headers.host ?? ''}" is refused`);
      }
      if (offLoopback) {
        if (!opts.serviceRoleKey) return jsonError(403, 'ADMIN_DISABLED', 'the admin API is off on a non-loopback --host without the service-role key');
        if (!sameSecret(bearer(req), opts.serviceRoleKey)) {
          return jsonError(401, 'ADMIN_KEY_REQUIRED', 'off loopback the admin API needs "Authorization: Bearer <service-role key>" (veloready keys)');
        }
      }
      const origin = req.headers.origin;
      if (origin !== undefined && !sameOrigin(origin, host.name, opts.port())) {
        return jsonError(403, 'ORIGIN_NOT_ALLOWED', `cross-origin admin requests are refused (Origin ${origin})`);
      }
      if (req.headers['sec-fetch-site'] === 'cross-site') {
        return jsonError(403, 'ORIGIN_NOT_ALLOWED', 'cross-site admin requests are refused');
      }
      if (!SAFE_METHODS.has(req.method ?? 'GET')) {
        const given = req.headers[ADMIN_TOKEN_HEADER];
        if (typeof given !== 'string' || !sameSecret(given, token)) {
          return jsonError(403, 'ADMIN_TOKEN_REQUIRED', `a state-changing admin call needs the per-run token in the ${ADMIN_TOKEN_HEADER} header (in serve.json of the data dir)`);
        }
      }
      return undefined;
    },
  };
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `Host` split into a lower-case name (no brackets) and port; undefined when malformed. */
function parseHost(header: string | undefined): { name: string; port?: number } | undefined {
  if (!header) return undefined;
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(header.trim());
  if (!m) return undefined;
  return { name: stripBrackets(m[1]!.toLowerCase()), ...(m[2] ? { port: Number(m[2]) } : {}) };
}

function sameOrigin(origin: string, hostName: string, port: number): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:') return false;
  const name = stripBrackets(url.hostname.toLowerCase());
  return Number(url.port || 80) === port && (name === hostName || (isLoopbackHost(name) && isLoopbackHost(hostName)));
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return typeof h === 'string' && /^bearer /i.test(h) ? h.slice(7).trim() : undefined;
}

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
