import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../clock.js';
import { payloadTooLarge } from './body-limit.js';
import { allowOrigin, isPreflight, loopbackOrigin, preflightResponse } from './cors.js';
import type { FunctionRegistry } from './functions.js';
import { jsonError } from './http-error.js';
import { createInvoker, syntheticEvent, type Invocation, type Invoker, type SyntheticRequest } from './invoke.js';
import { createJobRunner, type JobRecord, type JobRunner } from './jobs.js';
import { resolveLimits, SHUTDOWN_DEADLINE_MS, type Limits } from './limits.js';
import { BodyTooLargeError, ClientClosedError, hasBody, readBody, splitUrl, toEvent, parseQuery, writeResponse } from './node-adapter.js';
import { createRequestLog, type RequestLog } from './request-log.js';
import { captureExchange, keepRequestBody } from './exchange.js';
import { createRouter, type RedirectRule, type Router } from './redirects.js';
import { isOperator, jobOwner, refuseJobRead, refuseNonOperator, type OperatorGuard } from './operator-guard.js';
import { VeloError } from '../errors.js';
import { createUlid } from '../util/ulid.js';
import type { NetlifyResponse } from './types.js';

/**
 * The emulator's HTTP front: one node:http server that answers, in order,
 *   1. `GET /api/jobs/:id` (the job runner, then `jobLookup`),
 *   2. mounts by prefix (blobs protocol, fake Strava, Supabase subsets...),
 *   3. `/.netlify/functions/<name>` and the netlify.toml redirects → the function registry.
 * Functions run through the invoker (error boundary, timeout, body limits; background → job).
 *
 * Wiring, as `serve` does it:
 *   const emulator = createEmulator({ functions, redirects: loadRedirects(netlifyTomlPath()), mounts, clock, log });
 *   const scheduler = createScheduler({ functions, invoker: emulator.invoker, clock });
 *   await emulator.listen(port, host); scheduler.start();
 *   // on SIGINT: await scheduler.stop(); await emulator.close();
 */

/** Another HTTP service on the same port (blobs protocol, fake Strava...). Return `false` to pass. */
export interface Mount {
  prefix: string;
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<boolean | void>;
}

/**
 * An extra source of job records for `GET /api/jobs/:id` (e.g. backfill jobs in the database, run
 * before a restart): in the runner's shape, so a job reads the same wherever it is found.
 */
export type JobLookup = (id: string) => Promise<JobRecord | undefined>;

export interface EmulatorOptions {
  functions: FunctionRegistry;
  redirects?: readonly RedirectRule[] | Router;
  mounts?: readonly Mount[];
  clock?: Clock;
  limits?: Partial<Limits>;
  log?: RequestLog;
  jobs?: JobRunner;
  jobLookup?: JobLookup;
  /** What a timed-out function may have been waiting for, added to its 504 (serve: the embedded database). */
  timeoutNote?: () => string | undefined;
  /** Requests refused before routing (rate limits): `applies` is asked first, so unaffected paths pay one call. */
  gate?: { applies(path: string): boolean; check(req: IncomingMessage, path: string): NetlifyResponse | undefined };
  /** Scheduled functions over HTTP only for operators; job records only for their owner or an operator. Unset: open. */
  guard?: OperatorGuard;
}

export interface ListenInfo {
  url: string;
  host: string;
  port: number;
}

export interface CloseResult {
  /** Requests still running at the deadline (their connections were cut). */
  unfinishedRequests: number;
  /** Background jobs still running at the deadline. */
  unfinishedJobs: number;
}

export interface Emulator {
  readonly server: Server;
  readonly jobs: JobRunner;
  readonly log: RequestLog;
  readonly router: Router;
  readonly invoker: Invoker;
  readonly limits: Limits;
  listen(port?: number, host?: string): Promise<ListenInfo>;
  /** Invokes a function in-process, as `veloready trigger` or the scheduler would. */
  invoke(name: string, request?: Partial<SyntheticRequest>): Promise<Invocation>;
  inFlight(): number;
  /**
   * Holds new requests (they wait, none fail) and resolves once the running ones are done; call
   * the returned function to let them through. Admin requests (`/_/…`) are never held.
   */
  pause(): Promise<() => void>;
  /** Stops accepting, waits for running requests and jobs up to `deadlineMs`, then closes. */
  close(deadlineMs?: number): Promise<CloseResult>;
}

export const DEFAULT_PORT = 8888;
export const DEFAULT_HOST = '127.0.0.1';
const JOBS_PREFIX = '/api/jobs/';
/** serve's admin surfaces (inspector, clock, snapshots): never held by pause(). */
export const ADMIN_PREFIX = '/_/';
/** nginx's code for "client went away": logged, never sent. */
const CLIENT_CLOSED_REQUEST = 499;
const JOB_OWNERS_PRUNE_AT = 2048;
/** How far serve's clock must be from the machine's for the request log to show both. */
const REAL_TIME_SHOWN_MS = 1000;
const JOB_ID_RE = /^[A-Za-z0-9_-]{1,100}$/;

export function createEmulator(options: EmulatorOptions): Emulator {
  const clock = options.clock ?? systemClock;
  const limits = resolveLimits(options.limits);
  const log = options.log ?? createRequestLog();
  const functions = options.functions;
  const router = isRouter(options.redirects) ? options.redirects : createRouter(options.redirects ?? []);
  const mounts = options.mounts ?? [];
  const logError = (e: { functionName: string | null; requestId: string; status: number; error: unknown }): void =>
    log.error({ time: new Date(clock.now()).toISOString(), requestId: e.requestId, function: e.functionName, status: e.status, error: e.error });
  const jobs =
    options.jobs ??
    createJobRunner({
      clock,
      timeoutMs: limits.backgroundTimeoutMs,
      onError: (job, error) => logError({ functionName: job.function, requestId: job.id, status: 500, error }),
    });
  // Running sync and scheduled functions learn of a shutdown at once (jobs when the runner drains).
  const shuttingDown = new AbortController();
  const invoker = createInvoker({ functions, jobs, clock, limits, onError: logError, signal: shuttingDown.signal, timeoutNote: options.timeoutNote });
  const needsQueryForRouting = router.rules.some((r) => r.query);
  const guard = options.guard;
  const gate = options.gate;
  /** Who started each job the runner holds (guarded emulators only). */
  const jobOwners = new Map<string, string | undefined>();
  const rememberOwner = (id: string, owner: string | undefined): void => {
    jobOwners.set(id, owner);
    // The runner forgets old finished jobs; so does this map, in batches.
    if (jobOwners.size > JOB_OWNERS_PRUNE_AT) for (const k of jobOwners.keys()) if (!jobs.get(k)) jobOwners.delete(k);
  };
  /** Request ids are ULIDs, as Netlify's x-nf-request-id. */
  const nextRequestId = createUlid(() => clock.now());

  let inFlight = 0;
  let closing = false;
  let closePromise: Promise<CloseResult> | undefined;
  let idleWaiters: Array<() => void> = [];
  // The pause gate: undefined when open, so the hot path pays one check.
  let paused: Promise<void> | undefined;
  let gatedInFlight = 0;
  let gateIdle: (() => void) | undefined;
  const done = (): void => {
    inFlight -= 1;
    if (inFlight === 0 && idleWaiters.length) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const gated = !(req.url ?? '/').startsWith(ADMIN_PREFIX);
    if (gated) {
      while (paused) await paused;
      gatedInFlight += 1;
    }
    const started = performance.now();
    const time = clock.now();
    // A virtual clock (serve --clock): the log keeps the machine's time beside it.
    const real = clock === systemClock ? time : Date.now();
    const requestId = nextRequestId();
    const url = req.url ?? '/';
    const [path, rawQuery] = splitUrl(url);
    let fnName: string | null = null;
    let jobId: string | undefined;
    /** The x-cache header sent: writeHead's headers cannot be read back from `res`. */
    let cache: string | undefined;
    let clientClosed = false;
    // Headers and bodies are copied only while the inspector watches.
    const exchange = log.capturing ? captureExchange(req, res) : undefined;
    let limited: NetlifyResponse | undefined;
    try {
      if (closing) {
        res.setHeader('connection', 'close');
        cache = send(res, jsonError(503, 'SHUTTING_DOWN', 'the emulator is shutting down'), requestId);
      } else if (gate?.applies(path) && (limited = gate.check(req, path))) {
        req.resume();
        cache = send(res, limited, requestId);
      } else if (path.startsWith(JOBS_PREFIX)) {
        cache = send(res, await jobResponse(req.method ?? 'GET', path.slice(JOBS_PREFIX.length), req.headers.authorization), requestId);
      } else if (mountFor(path) && (await tryMounts(req, res, path))) {
        cache = res.getHeader('x-cache') as string | undefined;
      } else {
        const query = needsQueryForRouting ? parseQuery(rawQuery) : undefined;
        const match = router.match(path, query, req.method);
        let rewritten = false;
        if (match?.kind === 'rewrite') {
          req.url = rawQuery ? `${match.path}?${rawQuery}` : match.path;
          rewritten = mountFor(match.path) !== undefined && (await tryMounts(req, res, match.path));
        }
        if (rewritten) {
          cache = res.getHeader('x-cache') as string | undefined;
        } else if (!match || match.kind === 'rewrite') {
          cache = send(res, jsonError(404, 'NOT_FOUND', `no function or route for ${path}`), requestId);
        } else if (match.kind === 'redirect') {
          res.setHeader('location', match.location);
          cache = send(res, { statusCode: match.status }, requestId);
        } else {
          const def = functions.get(match.functionName);
          if (!def) {
            cache = send(res, jsonError(404, 'FUNCTION_NOT_FOUND', `no function named "${match.functionName}"`), requestId);
          } else if (def.routes?.length && !match.ownPath && !(await isOperator(guard, req.headers.authorization))) {
            // As on Netlify, a function with its own config.path is served only there; operators may still call it by name.
            req.resume();
            cache = send(res, jsonError(404, 'NOT_FOUND', `no function or route for ${path}: ${def.name} sets config.path, so it is served only at ${def.routes.join(', ')}`), requestId);
          } else {
            fnName = def.name;
            const corsOrigin = def.cors === 'loopback' ? loopbackOrigin(req) : undefined;
            if (corsOrigin) allowOrigin(res, corsOrigin);
            const preflight = corsOrigin !== undefined && isPreflight(req);
            const refused = guard && def.kind === 'scheduled' && !preflight ? await refuseNonOperator(guard, req.headers.authorization, def.name) : undefined;
            if (corsOrigin && preflight) {
              cache = send(res, preflightResponse(corsOrigin), requestId);
            } else if (refused) {
              req.resume();
              cache = send(res, refused, requestId);
            } else {
              let body: Buffer | null = null;
              if (hasBody(req)) body = await readBody(req, limits.bodyBytes);
              if (exchange) keepRequestBody(exchange, body);
              const event = toEvent(req, path, rawQuery, body, query);
              if (def.kind === 'background') {
                const owner = guard ? await jobOwner(guard, req.headers.authorization) : undefined;
                const result = await invoker.invoke(def, event, match.params, requestId);
                jobId = result.job?.id;
                if (guard && jobId) rememberOwner(jobId, owner);
                cache = send(res, result.response, requestId);
              } else {
                cache = send(res, await invoker.respond(def, event, match.params, requestId), requestId);
              }
            }
          }
        }
      }
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        res.setHeader('connection', 'close');
        cache = send(res, payloadTooLarge(err.limitBytes), requestId);
        req.resume();
      } else if (err instanceof ClientClosedError) {
        clientClosed = true;
        res.destroy();
      } else {
        logError({ functionName: fnName, requestId, status: 500, error: err });
        if (!res.headersSent) cache = send(res, jsonError(500, 'INTERNAL', `request ${requestId} failed; see the server log`), requestId);
        if (!res.writableEnded) res.end();
      }
    } finally {
      done();
      if (gated && --gatedInFlight === 0) gateIdle?.();
    }
    log.request({
      time: isoTime(time),
      requestId,
      method: req.method ?? 'GET',
      path: url,
      function: fnName,
      // writeHead and a mount's own answer both leave the status sent in res.statusCode.
      status: clientClosed ? CLIENT_CLOSED_REQUEST : res.statusCode,
      ms: Math.round((performance.now() - started) * 100) / 100,
      cache,
      jobId,
      exchange,
      ...(Math.abs(time - real) >= REAL_TIME_SHOWN_MS ? { realTime: new Date(real).toISOString() } : {}),
    });
  }

  /** Whether any mount claims the path's prefix; checked first so function requests skip an await. */
  const mountFor = (path: string): Mount | undefined => mounts.find((m) => path.startsWith(m.prefix));

  async function tryMounts(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    for (const mount of mounts) {
      if (!path.startsWith(mount.prefix)) continue;
      if ((await mount.handler(req, res)) !== false) return true;
    }
    return false;
  }

  async function jobResponse(method: string, id: string, authorization: string | undefined): Promise<NetlifyResponse> {
    if (method !== 'GET' && method !== 'HEAD') return jsonError(405, 'METHOD_NOT_ALLOWED', 'use GET /api/jobs/:id');
    if (!JOB_ID_RE.test(id)) return jsonError(400, 'INVALID_JOB_ID', `"${id}" is not a job id`);
    const held = jobs.get(id);
    const record = held ?? (await options.jobLookup?.(id));
    if (record === undefined || record === null) return jsonError(404, 'JOB_NOT_FOUND', `no job with id ${id}`);
    if (guard) {
      const owner = held ? jobOwners.get(id) : await guard.ownerOf(record);
      const refused = await refuseJobRead(guard, authorization, id, owner);
      if (refused) return refused;
    }
    return { statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: JSON.stringify(record) };
  }

  const server = createServer((req, res) => {
    inFlight += 1;
    void handle(req, res);
  });

  return {
    server,
    jobs,
    log,
    router,
    invoker,
    limits,
    listen(port = DEFAULT_PORT, host = DEFAULT_HOST) {
      return new Promise((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException): void => {
          reject(
            err.code === 'EADDRINUSE'
              ? new VeloError('PORT_IN_USE', `port ${port} on ${host} is already in use`, 'pick another one with --port')
              : err,
          );
        };
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const addr = server.address() as AddressInfo;
          const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
          resolve({ host: addr.address, port: addr.port, url: `http://${shownHost}:${addr.port}` });
        });
      });
    },
    async invoke(name, request = {}) {
      const def = functions.get(name);
      if (!def) throw new VeloError('FUNCTION_NOT_FOUND', `no function named "${name}"`, `known: ${functions.list().map((f) => f.name).join(', ')}`);
      const event = syntheticEvent({ method: 'POST', path: `/.netlify/functions/${name}`, ...request });
      return invoker.invoke(def, event, {});
    },
    inFlight: () => inFlight,
    async pause() {
      while (paused) await paused;
      let open!: () => void;
      paused = new Promise<void>((r) => (open = r));
      if (gatedInFlight > 0) await new Promise<void>((r) => (gateIdle = r));
      gateIdle = undefined;
      return () => {
        paused = undefined;
        open();
      };
    },
    close(deadlineMs = SHUTDOWN_DEADLINE_MS) {
      return (closePromise ??= shutdown(deadlineMs));
    },
  };

  async function shutdown(deadlineMs: number): Promise<CloseResult> {
    const deadline = performance.now() + deadlineMs;
    closing = true;
    shuttingDown.abort();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => idleWaiters.push(r)),
        new Promise<void>((r) => {
          timer = setTimeout(r, Math.max(0, deadline - performance.now()));
        }),
      ]);
      clearTimeout(timer);
    }
    const unfinishedRequests = inFlight;
    const unfinishedJobs = await jobs.drain(Math.max(0, deadline - performance.now()));
    server.closeAllConnections();
    await closed;
    return { unfinishedRequests, unfinishedJobs };
  }
}

/** ISO form of a time in ms; requests arriving in the same millisecond share it. */
let isoOf = { ms: NaN, iso: '' };
function isoTime(ms: number): string {
  if (ms !== isoOf.ms) isoOf = { ms, iso: new Date(ms).toISOString() };
  return isoOf.iso;
}

/** Writes `response` (a 500 INVALID_RESPONSE if it is not valid HTTP); returns the x-cache sent. */
function send(res: ServerResponse, response: NetlifyResponse, requestId: string): string | undefined {
  try {
    return writeResponse(res, response, requestId);
  } catch (err) {
    if (res.headersSent) throw err;
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    return writeResponse(res, jsonError(500, 'INVALID_RESPONSE', `the function returned a response that is not valid HTTP: ${(err as Error).message}`), requestId);
  }
}

function isRouter(value: EmulatorOptions['redirects']): value is Router {
  return !!value && !Array.isArray(value) && typeof (value as Router).match === 'function';
}
