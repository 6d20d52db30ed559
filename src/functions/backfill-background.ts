import type { Handler, NetlifyContext, NetlifyResponse } from '../emulator/types.js';
import { UUID_RE } from '../auth/user-id.js';
import type { FunctionDeps } from './deps.js';
import { authenticate, type Caller } from './lib/auth.js';
import type { NetlifyEvent } from '../emulator/types.js';
import {
  backfillProgress,
  BackfillConflict,
  createBackfillJob,
  getBackfillJob,
  runBackfillJob,
  TIMED_OUT_PREFIX,
  type BackfillJob,
  type BackfillRequest,
} from './lib/backfill-job.js';
import { jsonBody } from './lib/body.js';
import { handler, logUnexpected } from './lib/handle.js';
import { badRequest, HttpError, json } from './lib/http.js';
import { requireMethod } from './lib/method.js';
import { parseId, parseTime } from './lib/query.js';

export { resumeInterruptedBackfills, getBackfillJob, runBackfillJob, createBackfillJob } from './lib/backfill-job.js';
export type { BackfillJob } from './lib/backfill-job.js';

/** The request body, checked against who is asking: an athlete may only backfill themself. */
export function parseBackfillRequest(body: Record<string, unknown>, caller: Caller): BackfillRequest {
  let athleteId: number;
  if (body['athlete_id'] === undefined || body['athlete_id'] === null) {
    if (caller.athleteId === undefined) throw badRequest('ATHLETE_REQUIRED', 'Send {"athlete_id": <Strava athlete id>}');
    athleteId = caller.athleteId;
  } else {
    athleteId = parseId(body['athlete_id'], 'athlete_id');
  }
  if (caller.role !== 'service_role' && athleteId !== caller.athleteId) {
    throw new HttpError(403, 'FORBIDDEN', 'An athlete can only backfill their own history');
  }
  const since = parseTime(body['since'], 'since');
  const until = parseTime(body['until'], 'until');
  if (since !== undefined && until !== undefined && since >= until) throw badRequest('INVALID_RANGE', 'since must be earlier than until');
  return { athleteId, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) };
}

const progressOf = backfillProgress;

async function athleteExists(deps: FunctionDeps, athleteId: number): Promise<boolean> {
  const { rows } = await deps.sql.query('select 1 from public.athletes where id = $1', [athleteId]);
  return rows.length > 0;
}

/**
 * `POST /.netlify/functions/backfill-background` `{athlete_id, since?, until?}` by an operator
 * (`service_role` token) or the athlete themself. Creates the `backfill_jobs` row (409
 * BACKFILL_ALREADY_RUNNING with the live job when there is one) and runs it to the end, publishing
 * progress (`backfill_job_id`, pages, activities, rate-limit waits) on the emulator's job record.
 * The emulator (like Netlify) has already answered 202; the final JSON is the job row.
 */
export function createBackfillBackgroundHandler(deps: FunctionDeps): Handler {
  return handler(async (event, context) => {
    requireMethod(event, ['POST']);
    const caller = await authenticate(event, deps, ['authenticated', 'service_role']);
    const body = jsonBody(event, { optional: true });
    if (body['job_id'] !== undefined) return runExisting(deps, caller, body['job_id'], context);
    const req = parseBackfillRequest(body, caller);
    if (!(await athleteExists(deps, req.athleteId))) {
      throw new HttpError(404, 'ATHLETE_NOT_FOUND', `No athlete ${req.athleteId}`);
    }
    let job: BackfillJob;
    try {
      // The row takes the job's id: `/api/jobs/<id>` finds it after a restart too.
      job = await createBackfillJob(deps, req, context.jobId && UUID_RE.test(context.jobId) ? context.jobId : undefined);
    } catch (err) {
      if (err instanceof BackfillConflict) {
        context.reportProgress?.({ ...progressOf(err.job), conflict: true });
        return json(409, { error: { code: err.code, message: err.message }, job: err.job });
      }
      throw err;
    }
    return runToEnd(deps, job, context);
  }, logUnexpected(deps, 'backfill-background'));
}

/** A request to resume `{job_id}` continues that job: the emulator runs it under the same id. */
export function backfillJobIdFor(event: NetlifyEvent): string | undefined {
  if (!event.body || event.isBase64Encoded) return undefined;
  try {
    const id = (JSON.parse(event.body) as { job_id?: unknown } | null)?.job_id;
    return typeof id === 'string' && UUID_RE.test(id) ? id.toLowerCase() : undefined;
  } catch {
    return undefined; // the function itself answers the bad body
  }
}

/**
 * `{job_id}` runs a job created beforehand (queued, or left running by a killed process): serve
 * may create the row synchronously with `createBackfillJob` to answer 409 at once, then start
 * this function with the job's id.
 */
async function runExisting(deps: FunctionDeps, caller: Caller, jobId: unknown, context: NetlifyContext): Promise<NetlifyResponse> {
  if (typeof jobId !== 'string' || !UUID_RE.test(jobId)) throw badRequest('INVALID_JOB_ID', 'job_id must be a backfill job uuid');
  const job = await getBackfillJob(deps.sql, jobId);
  if (!job || (caller.role !== 'service_role' && job.athlete_id !== caller.athleteId)) {
    throw new HttpError(404, 'JOB_NOT_FOUND', `No backfill job ${jobId}`);
  }
  if (job.status === 'succeeded' || job.status === 'cancelled') return json(200, { job });
  return runToEnd(deps, job, context, { retryFailed: true });
}

async function runToEnd(deps: FunctionDeps, job: BackfillJob, context: NetlifyContext, opts: { retryFailed?: boolean } = {}): Promise<NetlifyResponse> {
  const report = (j: BackfillJob): void => context.reportProgress?.(progressOf(j));
  report(job);
  const finished = await runBackfillJob(deps, job.id, { ...(context.signal ? { signal: context.signal } : {}), onProgress: report, ...opts });
  if (finished.status === 'failed' && finished.error?.startsWith(TIMED_OUT_PREFIX)) {
    return json(504, { error: { code: 'FUNCTION_TIMEOUT', message: finished.error.slice(TIMED_OUT_PREFIX.length + 2) }, job: finished });
  }
  if (finished.status === 'running') {
    // Shutdown asked us to stop: the checkpoint is committed and the next start resumes it.
    return json(503, {
      error: { code: 'BACKFILL_INTERRUPTED', message: `Backfill job ${finished.id} stopped at its checkpoint; it resumes when the server restarts` },
      job: finished,
    });
  }
  return json(200, { job: finished });
}
