import { VeloError } from '../errors.js';
import type { OutboundPolicy } from './outbound.js';

/**
 * Where a project function's outbound request goes under serve. Pure: the undici dispatcher and
 * the node:http(s) patch both ask `compilePolicy(policy).route` and act on its answer.
 */
export type OutboundRoute =
  | { kind: 'pass' }
  | { kind: 'rewrite'; target: URL }
  | { kind: 'refuse'; error: OutboundRefusedError };

/** The parts of a request's destination the decision reads (a URL has them). */
export interface OutboundDestination {
  protocol: string;
  /** As URL.hostname gives it: IPv6 in brackets. */
  hostname: string;
  /** '' for the protocol's default port. */
  port: string;
}

export const OUTBOUND_OFFLINE = 'OUTBOUND_OFFLINE';

/** A request a function made to a host serve does not emulate, while serve is offline. */
export class OutboundRefusedError extends VeloError {
  constructor(readonly host: string) {
    super(
      OUTBOUND_OFFLINE,
      `veloready serve is offline: the request to ${host} was refused (only emulated hosts and loopback are reachable)`,
      'run serve with --online to let requests to other hosts through',
    );
  }
}

/** A policy compiled once per worker: rewrite targets parsed, their hosts allowed. */
export interface CompiledPolicy {
  route(dest: OutboundDestination): OutboundRoute;
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };

export function compilePolicy(policy: OutboundPolicy): CompiledPolicy {
  const rewrites = new Map<string, URL>();
  const targetHosts = new Set<string>();
  for (const [host, base] of Object.entries(policy.rewrites)) {
    let target: URL;
    try {
      target = new URL(base);
    } catch {
      throw new VeloError('OUTBOUND_POLICY_INVALID', `the rewrite of ${host} is not a URL: ${base}`);
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      throw new VeloError('OUTBOUND_POLICY_INVALID', `the rewrite of ${host} must be an http(s) URL, not ${base}`);
    }
    // A trailing slash would double the one every request path starts with.
    target.pathname = target.pathname.replace(/\/+$/, '');
    rewrites.set(host.toLowerCase(), target);
    targetHosts.add(bare(target.hostname));
  }
  return {
    route(dest) {
      const hostname = bare(dest.hostname.toLowerCase());
      const port = dest.port || DEFAULT_PORTS[dest.protocol] || '';
      const target = rewrites.get(`${hostname}:${port}`) ?? rewrites.get(hostname);
      if (target) return { kind: 'rewrite', target };
      if (policy.online || isLoopback(hostname) || targetHosts.has(hostname)) return { kind: 'pass' };
      return { kind: 'refuse', error: new OutboundRefusedError(dest.port ? `${hostname}:${dest.port}` : hostname) };
    },
  };
}

/** The request path under the rewrite's base: `/strava` + `/api/v3/athlete` (the query kept). */
export function rewrittenPath(target: URL, path: string): string {
  const p = path.startsWith('/') ? path : `/${path}`;
  return `${target.pathname}${p}`;
}

/** `[::1]` → `::1`: URL keeps IPv6 literals in brackets, sockets do not. */
function bare(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

export function isLoopback(hostname: string): boolean {
  const h = bare(hostname);
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}
