import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https, { type RequestOptions } from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import { rewrittenPath, type CompiledPolicy } from './outbound-route.js';

type ResponseListener = (res: IncomingMessage) => void;
type RequestFn = typeof http.request;

/**
 * Patches `request` and `get` of node:http and node:https (and their ESM named exports) so a
 * request to a rewritten host goes to its local base URL and one to a refused host errors at
 * once, without a DNS lookup or a socket. `get` is patched too: Node's own `get` calls its
 * module's `request` directly, not the exported one.
 */
export function installOutboundHttp(policy: CompiledPolicy): void {
  const original = { 'http:': http.request, 'https:': https.request } as const;
  const patch = (mod: typeof http | typeof https, protocol: 'http:' | 'https:'): void => {
    const request = (...args: unknown[]): ClientRequest => {
      const { options, callback } = normalize(args, protocol);
      if (options.socketPath) return original[protocol](options, callback);
      const route = policy.route({
        protocol: options.protocol ?? protocol,
        hostname: String(options.hostname ?? options.host ?? 'localhost'),
        port: options.port === undefined || options.port === null ? '' : String(options.port),
      });
      if (route.kind === 'pass') return original[protocol](options, callback);
      if (route.kind === 'refuse') {
        // No agent (undefined, not false: false makes a fresh one) and a connection that fails with
        // the refusal: the request emits it as 'error' without a lookup or a socket.
        const error = route.error;
        return original[protocol]({ ...options, agent: undefined, createConnection: (_opts: unknown, cb: (err: Error) => void) => void cb(error) } as RequestOptions, callback);
      }
      const { target } = route;
      const targetProtocol = target.protocol as 'http:' | 'https:';
      const rewritten: https.RequestOptions = {
        ...options,
        protocol: targetProtocol,
        hostname: target.hostname.replace(/^\[|\]$/g, ''),
        host: undefined,
        port: target.port || undefined,
        path: rewrittenPath(target, options.path ?? '/'),
        // The caller's agent speaks the original protocol (an https.Agent refuses http:).
        agent: undefined,
        servername: undefined,
        headers: withoutHost(options.headers),
      };
      return original[targetProtocol](rewritten, callback);
    };
    const get = (...args: unknown[]): ClientRequest => {
      const req = (request as (...a: unknown[]) => ClientRequest)(...args);
      req.end();
      return req;
    };
    (mod as { request: RequestFn }).request = request as RequestFn;
    (mod as { get: typeof http.get }).get = get as typeof http.get;
  };
  patch(http, 'http:');
  patch(https, 'https:');
  syncBuiltinESMExports();
}

/** Node's `(url | options, options?, callback?)` forms as one options object and a callback. */
function normalize(args: unknown[], protocol: string): { options: RequestOptions; callback?: ResponseListener } {
  let [first, second, third] = args;
  let options: RequestOptions = {};
  if (typeof first === 'string' || first instanceof URL) {
    options = urlOptions(typeof first === 'string' ? new URL(first) : first);
  } else if (first && typeof first === 'object') {
    options = { ...(first as RequestOptions) };
    third = second;
    second = undefined;
  } else {
    third = second;
    second = first;
  }
  if (typeof second === 'function') {
    third = second;
  } else if (second && typeof second === 'object') {
    options = { ...options, ...(second as RequestOptions) };
  }
  options.protocol ??= protocol;
  return { options, ...(typeof third === 'function' ? { callback: third as ResponseListener } : {}) };
}

/** As Node's urlToHttpOptions: the URL's parts as request options (userinfo as `auth`). */
function urlOptions(url: URL): RequestOptions {
  return {
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    path: `${url.pathname || '/'}${url.search}`,
    ...(url.port ? { port: Number(url.port) } : {}),
    ...(url.username || url.password ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` } : {}),
  };
}

function withoutHost(headers: RequestOptions['headers']): RequestOptions['headers'] {
  if (!headers || Array.isArray(headers)) return headers;
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() !== 'host') out[name] = value;
  return out;
}
