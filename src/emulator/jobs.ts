import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { redactText } from '../util/redact.js';
import type { Handler, NetlifyContext, NetlifyEvent } from './types.js';
import { BACKGROUND_TIMEOUT_MS } from './limits.js';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface JobRecord {
  id: string;
  function: string;
  status: JobStatus;
  /** Free-form, set by the handler through `context.reportProgress`. */
  progress: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export type JobListener = (job: Readonly<JobRecord>) => void;

export interface JobRunner {
  /**
   * Queues the handler and returns its record at once; it starts on the next turn of the event loop.
   * `id` keeps a job's id across runs (a resumed job is the same job); a live job with that id is
   * returned as it is instead of starting a second one.
   */
  start(fn: { name: string; handler: Handler }, event: NetlifyEvent, params?: Record<string, string>, id?: string): JobRecord;
  get(id: string): JobRecord | undefined;
  list(): JobRecord[];
  /** Called on every change (queued, started, progress, finished). */
  subscribe(listener: JobListener): () => void;
  /** Jobs not yet finished. */
  active(): number;
  /**
   * For shutdown: aborts every job's `context.signal` so it checkpoints, then waits until all
   * jobs finished or `deadlineMs` passed. Resolves with the number still running.
   */
  drain(deadlineMs: number): Promise<number>;
}

export interface JobRunnerOptions {
  clock: Clock;
  timeoutMs?: number;
  /** Finished records kept for `GET /api/jobs/:id`. */
  keepFinished?: number;
  onError?: (job: JobRecord, error: unknown) => void;
}

const KEEP_FINISHED = 1000;
/** Error bodies larger than this are not parsed for a code (a function's errors are small). */
const MAX_ERROR_BODY_CHARS = 10_000;

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { clock } = options;
  const timeoutMs = options.timeoutMs ?? BACKGROUND_TIMEOUT_MS;
  const keep = options.keepFinished ?? KEEP_FINISHED;
  const jobs = new Map<string, JobRecord>();
  const running = new Set<Promise<void>>();
  const listeners = new Set<JobListener>();
  const shutdown = new AbortController();
  const iso = (): string => new Date(clock.now()).toISOString();

  const notify = (job: JobRecord): void => {
    for (const l of listeners) {
      try {
        l({ ...job });
      } catch {
        /* a broken subscriber must not break the job */
      }
    }
  };

  const prune = (): void => {
    if (jobs.size <= keep) return;
    for (const [id, job] of jobs) {
      if (jobs.size <= keep) break;
      if (job.finishedAt) jobs.delete(id);
    }
  };

  const finish = (job: JobRecord, error: JobRecord['error']): void => {
    if (job.finishedAt) return;
    job.status = error ? 'failed' : 'succeeded';
    job.error = error;
    job.finishedAt = iso();
    notify(job);
  };

  async function run(job: JobRecord, handler: Handler, event: NetlifyEvent, params: Record<string, string>): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    job.status = 'running';
    job.startedAt = iso();
    notify(job);
    const deadline = clock.now() + timeoutMs;
    // Fires at the deadline (as Netlify would kill the function) or at shutdown: the handler stops at its next check.
    const timeout = new AbortController();
    const context: NetlifyContext = {
      functionName: job.function,
      awsRequestId: job.id,
      getRemainingTimeInMillis: () => Math.max(0, deadline - clock.now()),
      params,
      jobId: job.id,
      signal: AbortSignal.any([shutdown.signal, timeout.signal]),
      reportProgress(progress) {
        if (job.finishedAt) return;
        job.progress = { ...progress };
        notify(job);
      },
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    const work = (async () => handler(event, context))();
    try {
      const result = await Promise.race([work, timedOut]);
      if (result === 'timeout') {
        finish(job, { code: 'FUNCTION_TIMEOUT', message: `background function "${job.function}" ran longer than ${formatLimit(timeoutMs)}` });
        timeout.abort(new DOMException(`background function "${job.function}" timed out`, 'TimeoutError'));
        // The job counts as active (and shutdown waits for it) until the handler has really stopped.
        await work.catch(() => undefined);
      } else if (result.statusCode >= 400) {
        finish(job, errorOf(result.body) ?? { code: `HTTP_${result.statusCode}`, message: `finished with status ${result.statusCode}` });
      } else {
        finish(job, null);
      }
    } catch (error) {
      const err = error as { code?: unknown; message?: unknown };
      finish(job, {
        code: typeof err?.code === 'string' ? err.code : 'FUNCTION_FAILED',
        message: redactText(typeof err?.message === 'string' ? err.message : String(error)),
      });
      options.onError?.(job, error);
    } finally {
      clearTimeout(timer);
      prune();
    }
  }

  return {
    start(fn, event, params = {}, id) {
      const live = id !== undefined ? jobs.get(id) : undefined;
      if (live && !live.finishedAt) return { ...live };
      if (live) jobs.delete(id!); // a finished run of the same job: the new run replaces it, newest last
      const job: JobRecord = {
        id: id ?? randomUUID(),
        function: fn.name,
        status: 'queued',
        progress: null,
        error: null,
        createdAt: iso(),
        startedAt: null,
        finishedAt: null,
      };
      jobs.set(job.id, job);
      notify(job);
      const p = run(job, fn.handler, event, params);
      running.add(p);
      void p.finally(() => running.delete(p));
      return { ...job };
    },
    get(id) {
      const job = jobs.get(id);
      return job && { ...job };
    },
    list: () => [...jobs.values()].map((job) => ({ ...job })),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    active: () => running.size,
    async drain(deadlineMs) {
      shutdown.abort();
      if (running.size === 0) return 0;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...running]),
        new Promise<void>((r) => {
          timer = setTimeout(r, Math.max(0, deadlineMs));
        }),
      ]);
      clearTimeout(timer);
      return running.size;
    },
  };
}

/** The function's own `{"error": {"code", "message"}}` answer, message redacted. */
function errorOf(body: string | undefined): JobRecord['error'] {
  if (!body || body.length > MAX_ERROR_BODY_CHARS) return null;
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (typeof error?.code !== 'string') return null;
    return { code: error.code, message: redactText(typeof error.message === 'string' ? error.message : error.code) };
  } catch {
    return null;
  }
}

/** `15 min`, or `50 ms` for the tiny limits tests configure. */
const formatLimit = (ms: number): string => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms} ms`);
