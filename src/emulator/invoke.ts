import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { HandlerErrorInfo } from './error-boundary.js';
import type { FunctionDef, FunctionRegistry } from './functions.js';
import { JSON_HEADERS } from './http-error.js';
import type { JobRecord, JobRunner } from './jobs.js';
import type { Limits } from './limits.js';
import { guard } from './guard.js';
import { nextRunAfter } from './schedule.js';
import type { Handler, NetlifyContext, NetlifyEvent, NetlifyResponse } from './types.js';

/** The per-invocation context; a class so the hot path allocates no closures. */
export class InvocationContext implements NetlifyContext {
  constructor(
    readonly functionName: string,
    readonly awsRequestId: string,
    readonly params: Record<string, string>,
    private readonly deadline: number,
    private readonly clock: Clock,
    /** Aborted when the emulator shuts down (a long scheduled run checkpoints and returns). */
    readonly signal?: AbortSignal,
  ) {}
  getRemainingTimeInMillis(): number {
    return Math.max(0, this.deadline - this.clock.now());
  }
}

export interface Invocation {
  response: NetlifyResponse;
  job?: JobRecord;
}

export interface Invoker {
  /** Runs a function the way Netlify would for its kind: sync/scheduled wrapped in the limits, background as a job (202). */
  invoke(def: FunctionDef, event: NetlifyEvent, params?: Record<string, string>, requestId?: string): Promise<Invocation>;
  /**
   * The response of a sync or scheduled function (the HTTP hot path: no Invocation wrapper and
   * no extra promise layer). Background functions go through `invoke`.
   */
  respond(def: FunctionDef, event: NetlifyEvent, params: Record<string, string>, requestId: string): Promise<NetlifyResponse>;
}

export interface InvokerOptions {
  functions: FunctionRegistry;
  jobs: JobRunner;
  clock: Clock;
  limits: Limits;
  onError?: (info: HandlerErrorInfo) => void;
  /** Handed to sync and scheduled invocations as `context.signal`; aborted at shutdown. */
  signal?: AbortSignal;
  /** What a timed-out function may have been waiting for (guard.ts). */
  timeoutNote?: () => string | undefined;
}

const ACCEPTED = 202;
const EMPTY_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Wraps each function once (not per request) in Netlify's limits (guard.ts). */
export function createInvoker(options: InvokerOptions): Invoker {
  const { clock, limits, jobs } = options;
  // By definition, not by name: serve's reload replaces a project function's definition.
  const compiled = new WeakMap<FunctionDef, Handler>();
  const compiledFor = (def: FunctionDef): Handler => {
    let h = compiled.get(def);
    if (!h) {
      const timeoutMs = def.kind === 'scheduled' ? limits.scheduledTimeoutMs : limits.syncTimeoutMs;
      h = guard(def.handler, { timeoutMs, bodyBytes: limits.bodyBytes, onError: options.onError, timeoutNote: options.timeoutNote });
      compiled.set(def, h);
    }
    return h;
  };

  const respond: Invoker['respond'] = (def, event, params, requestId) => {
    if (def.kind === 'scheduled') event = scheduledEvent(def, clock, event);
    const timeoutMs = def.kind === 'scheduled' ? limits.scheduledTimeoutMs : limits.syncTimeoutMs;
    const context = new InvocationContext(def.name, requestId, params, clock.now() + timeoutMs, clock, options.signal);
    return compiledFor(def)(event, context);
  };

  return {
    respond,
    async invoke(def, event, params = EMPTY_PARAMS, requestId = randomUUID()) {
      if (def.kind !== 'background') return { response: await respond(def, event, params, requestId) };
      const job = jobs.start(def, event, params, def.jobIdFor?.(event));
      return {
        job,
        response: {
          statusCode: ACCEPTED,
          headers: { ...JSON_HEADERS, 'x-job-id': job.id },
          body: JSON.stringify({ jobId: job.id, status: job.status, url: `/api/jobs/${job.id}` }),
        },
      };
    },
  };
}

/** Netlify gives a scheduled function a POST whose body is `{"next_run": "<ISO>"}`. */
export function scheduledEvent(def: FunctionDef, clock: Clock, base?: NetlifyEvent): NetlifyEvent {
  const body = JSON.stringify({ next_run: nextRunAfter(def.schedule!, clock.now()).toISOString() });
  const event = base ?? syntheticEvent({ path: `/.netlify/functions/${def.name}` });
  const headers = { ...event.headers, 'content-type': 'application/json', 'x-nf-event': 'schedule' };
  return {
    // Field by field: the HTTP event computes some fields on access, which a spread would drop.
    rawUrl: event.rawUrl,
    rawQuery: event.rawQuery,
    path: event.path,
    queryStringParameters: event.queryStringParameters,
    multiValueQueryStringParameters: event.multiValueQueryStringParameters,
    // An HTTP trigger keeps its method, so the function can refuse anything but POST.
    httpMethod: base?.httpMethod ?? 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    body,
    isBase64Encoded: false,
  };
}

export interface SyntheticRequest {
  method?: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | null;
  baseUrl?: string;
}

/** An event for an in-process invocation (scheduler, `trigger`, tests) that never went through HTTP. */
export function syntheticEvent(req: SyntheticRequest): NetlifyEvent {
  const query = req.query ?? {};
  const rawQuery = new URLSearchParams(query).toString();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  return {
    rawUrl: `${req.baseUrl ?? 'http://localhost'}${req.path}${rawQuery ? `?${rawQuery}` : ''}`,
    rawQuery,
    path: req.path,
    httpMethod: (req.method ?? 'GET').toUpperCase(),
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: { ...query },
    multiValueQueryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
    body: req.body ?? null,
    isBase64Encoded: false,
  };
}
