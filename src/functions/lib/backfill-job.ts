import { ACTIVITIES_TTL_S, activitiesKey } from '../../cache/keys.js';
import type { Queryable } from '../../db/sql.js';
import type { JobRecord } from '../../emulator/jobs.js';
import type { RateLimitEvent } from '../../strava/port.js';
import type { FunctionDeps } from '../deps.js';
import { listStoredActivities, upsertActivities } from './activities.js';
import { cacheStore, readThrough } from './cache.js';
import { HttpError } from './http.js';
import { invalidateAthleteActivities } from './invalidate.js';
import { requireStravaCredentials } from './strava-creds.js';

/** Strava's largest page. */
export const BACKFILL_PAGE_SIZE = 200;

export type BackfillStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A `backfill_jobs` row as the API shows it. */
export interface BackfillJob {
  id: string;
  athlete_id: number;
  status: BackfillStatus;
  since: string | null;
  until: string | null;
  /**
   * Where a restart resumes (`page`), and the span of start dates fetched so far (ms), from
   * which followers estimate how much of `since`..`until` is done.
   */
  checkpoint: { page?: number; done?: boolean; oldest?: number; newest?: number };
  pages_fetched: number;
  activities_upserted: number;
  rate_limit_waits: number;
  rate_limited_until: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const JOB_COLUMNS = `id::text as id, athlete_id::text as athlete_id, status, since, until, checkpoint, pages_fetched,
  activities_upserted, rate_limit_waits, rate_limited_until, error, created_at, started_at, finished_at`;

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString());

function toJob(r: Record<string, unknown>): BackfillJob {
  const checkpoint = typeof r.checkpoint === 'string' ? JSON.parse(r.checkpoint) : (r.checkpoint ?? {});
  return {
    id: String(r.id),
    athlete_id: Number(r.athlete_id),
    status: r.status as BackfillStatus,
    since: iso(r.since),
    until: iso(r.until),
    checkpoint: checkpoint as BackfillJob['checkpoint'],
    pages_fetched: Number(r.pages_fetched),
    activities_upserted: Number(r.activities_upserted),
    rate_limit_waits: Number(r.rate_limit_waits),
    rate_limited_until: iso(r.rate_limited_until),
    error: (r.error as string | null) ?? null,
    created_at: iso(r.created_at)!,
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
  };
}

/** What a backfill publishes as its job's progress (the emulator's job record carries it). */
export function backfillProgress(job: BackfillJob): Record<string, unknown> {
  return {
    backfill_job_id: job.id,
    athlete_id: job.athlete_id,
    status: job.status,
    pages_fetched: job.pages_fetched,
    activities_upserted: job.activities_upserted,
    rate_limit_waits: job.rate_limit_waits,
    rate_limited_until: job.rate_limited_until,
    since: job.since,
    until: job.until,
    started_at: job.started_at,
    checkpoint: job.checkpoint,
  };
}

/** `FUNCTION_TIMEOUT: stopped by…` → that code; other stored errors are BACKFILL_FAILED. */
const STORED_ERROR_RE = /^([A-Z][A-Z0-9_]+): ([\s\S]*)$/;

/**
 * A backfill row as a job record of `GET /api/jobs/:id`, the shape the emulator's job runner
 * gives: a job found in the database (run before a restart) reads like one still in memory.
 */
export function backfillJobRecord(job: BackfillJob): JobRecord {
  const stored = job.error ? STORED_ERROR_RE.exec(job.error) : null;
  const error =
    job.status === 'cancelled'
      ? { code: 'BACKFILL_CANCELLED', message: job.error ?? `Backfill job ${job.id} was cancelled` }
      : job.error
        ? { code: stored?.[1] ?? 'BACKFILL_FAILED', message: stored?.[2] ?? job.error }
        : null;
  return {
    id: job.id,
    function: 'backfill-background',
    status: job.status === 'cancelled' ? 'failed' : job.status,
    progress: backfillProgress(job),
    error: job.status === 'failed' || job.status === 'cancelled' ? error : null,
    createdAt: job.created_at,
    startedAt: job.started_at,
    finishedAt: job.finished_at,
  };
}

export async function getBackfillJob(db: Queryable, jobId: string): Promise<BackfillJob | null> {
  const { rows } = await db.query(`select ${JOB_COLUMNS} from public.backfill_jobs where id = $1`, [jobId]);
  return rows[0] ? toJob(rows[0]) : null;
}

/** The newest `limit` jobs, newest first. */
export async function recentBackfillJobs(db: Queryable, limit: number): Promise<BackfillJob[]> {
  const { rows } = await db.query(`select ${JOB_COLUMNS} from public.backfill_jobs order by created_at desc limit $1`, [limit]);
  return rows.map(toJob);
}

export async function liveJobFor(db: Queryable, athleteId: number): Promise<BackfillJob | null> {
  const { rows } = await db.query(
    `select ${JOB_COLUMNS} from public.backfill_jobs where athlete_id = $1 and status in ('queued', 'running')`,
    [athleteId],
  );
  return rows[0] ? toJob(rows[0]) : null;
}

export interface BackfillRequest {
  athleteId: number;
  /** Unix seconds; none = the athlete's whole history. */
  since?: number;
  /** Unix seconds; none = now. */
  until?: number;
}

/** Thrown when the athlete already has a live job; carries that job. */
export class BackfillConflict extends HttpError {
  constructor(readonly job: BackfillJob) {
    super(409, 'BACKFILL_ALREADY_RUNNING', `Athlete ${job.athlete_id} already has backfill job ${job.id} (${job.status})`);
  }
}

const UNIQUE_VIOLATION = '23505';

/** A unique violation on the one-live-job-per-athlete index becomes a BackfillConflict naming that job. */
async function conflictOr(deps: FunctionDeps, athleteId: number | undefined, err: unknown): Promise<never> {
  if ((err as { code?: unknown }).code === UNIQUE_VIOLATION && athleteId !== undefined) {
    const live = await liveJobFor(deps.sql, athleteId);
    if (live) throw new BackfillConflict(live);
  }
  throw err;
}

/**
 * Creates the job row (queued). One live job per athlete: a second one is a BackfillConflict.
 * `id` (the emulator's job id) makes the row and the job one id for life; else the database picks.
 */
export async function createBackfillJob(deps: FunctionDeps, req: BackfillRequest, id?: string): Promise<BackfillJob> {
  const existing = await liveJobFor(deps.sql, req.athleteId);
  if (existing) throw new BackfillConflict(existing);
  await requireStravaCredentials(deps.sql, req.athleteId, deps.clock);
  const now = new Date(deps.clock.now()).toISOString();
  const until = req.until ?? Math.floor(deps.clock.now() / 1000);
  try {
    const { rows } = await deps.sql.query(
      `insert into public.backfill_jobs (id, athlete_id, status, since, until, checkpoint, created_at, updated_at)
       values (coalesce($5::uuid, gen_random_uuid()), $1, 'queued', to_timestamp($2), to_timestamp($3), '{"page": 1}'::jsonb, $4, $4)
       returning ${JOB_COLUMNS}`,
      [req.athleteId, req.since ?? null, until, now, id ?? null],
    );
    return toJob(rows[0]!);
  } catch (err) {
    return conflictOr(deps, req.athleteId, err);
  }
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (job: BackfillJob) => void;
  /** Restart a `failed` job from its checkpoint (an explicit resume by job id). */
  retryFailed?: boolean;
}

/** Error text of a job stopped by the background time limit: it names how to go on. */
export const TIMED_OUT_PREFIX = 'FUNCTION_TIMEOUT';
/** Stored length of a failed job's error text. */
const MAX_ERROR_CHARS = 500;

const unix = (isoText: string | null): number | undefined => (isoText ? Math.floor(Date.parse(isoText) / 1000) : undefined);

/**
 * Runs (or resumes) a job to its end: pages of 200 from Strava over [since, until], each page
 * upserted together with its checkpoint in one transaction, so a killed process resumes at the
 * next page with nothing lost and nothing duplicated. Rate-limit waits reported by the Strava
 * client are counted with their reset time. On abort (shutdown) the job stays `running` for the
 * next start to resume; stopped by the time limit it is `failed`, not blocking a new backfill, and
 * resumable from its checkpoint by id.
 */
export async function runBackfillJob(deps: FunctionDeps, jobId: string, opts: RunOptions = {}): Promise<BackfillJob> {
  const running = activeRuns.get(jobId);
  if (running) return running; // already running in this process: wait for that run instead
  const run = runOnce(deps, jobId, opts);
  activeRuns.set(jobId, run);
  try {
    return await run;
  } finally {
    activeRuns.delete(jobId);
  }
}

/** Runs in this process, by job id: a resume request for a job already running joins it. */
const activeRuns = new Map<string, Promise<BackfillJob>>();

async function runOnce(deps: FunctionDeps, jobId: string, opts: RunOptions): Promise<BackfillJob> {
  const stamp = (): string => new Date(deps.clock.now()).toISOString();
  let started;
  try {
    started = await deps.sql.query(
      `update public.backfill_jobs set status = 'running', started_at = coalesce(started_at, $2), updated_at = $2,
         error = null, finished_at = null
       where id = $1 and (status in ('queued', 'running') or ($3 and status = 'failed')) returning ${JOB_COLUMNS}`,
      [jobId, stamp(), opts.retryFailed === true],
    );
  } catch (err) {
    // Resuming a failed job while the athlete has another live one.
    return conflictOr(deps, (await getBackfillJob(deps.sql, jobId))?.athlete_id, err);
  }
  if (!started.rows[0]) {
    const job = await getBackfillJob(deps.sql, jobId);
    if (!job) throw new HttpError(404, 'JOB_NOT_FOUND', `No backfill job ${jobId}`);
    return job;
  }
  let job = toJob(started.rows[0]);
  opts.onProgress?.(job);

  const onRateLimit = (e: RateLimitEvent): void => {
    void deps.sql
      .query(
        `update public.backfill_jobs set rate_limit_waits = rate_limit_waits + 1, rate_limited_until = to_timestamp($2 / 1000.0),
         updated_at = $3 where id = $1`,
        [jobId, e.resetsAt, stamp()],
      )
      .catch(() => undefined);
  };
  const unsubscribe = deps.rateLimits?.subscribe(onRateLimit);
  /** Records the job as failed with `message`; the row as it now is (none if it vanished). */
  const markFailed = async (message: string): Promise<BackfillJob | undefined> => {
    const { rows } = await deps.sql.query(
      `update public.backfill_jobs set status = 'failed', error = $2, finished_at = $3, updated_at = $3 where id = $1 returning ${JOB_COLUMNS}`,
      [jobId, message.slice(0, MAX_ERROR_CHARS), stamp()],
    );
    const failed = rows[0] ? toJob(rows[0]) : undefined;
    if (failed) opts.onProgress?.(failed);
    return failed;
  };
  const stopped = async (at: BackfillJob): Promise<BackfillJob> => {
    if ((opts.signal?.reason as { name?: unknown } | undefined)?.name !== 'TimeoutError') return at; // shutdown: resumed at the next start
    const page = at.checkpoint.page ?? 1;
    return (await markFailed(`${TIMED_OUT_PREFIX}: stopped by the background time limit at page ${page}; resume it with {"job_id": "${jobId}"}`)) ?? at;
  };
  try {
    const creds = await requireStravaCredentials(deps.sql, job.athlete_id, deps.clock);
    const after = unix(job.since);
    const before = unix(job.until);
    let page = job.checkpoint.page ?? 1;
    for (;;) {
      if (opts.signal?.aborted) return await stopped(job); // at its checkpoint
      const activities = await deps.strava.listActivities(creds, {
        page,
        perPage: BACKFILL_PAGE_SIZE,
        ...(after !== undefined ? { after } : {}),
        ...(before !== undefined ? { before } : {}),
      });
      if (opts.signal?.aborted) return await stopped(job); // stopped while the page was on its way: not written
      const done = activities.length < BACKFILL_PAGE_SIZE;
      page += 1;
      const span = startSpan(activities, job.checkpoint);
      job = await deps.sql.transaction(async (tx) => {
        await upsertActivities(tx, job.athlete_id, activities, deps.clock.now());
        const { rows } = await tx.query(
          `update public.backfill_jobs set pages_fetched = pages_fetched + 1, activities_upserted = activities_upserted + $2,
             checkpoint = $3::jsonb, updated_at = $4 where id = $1 returning ${JOB_COLUMNS}`,
          [jobId, activities.length, JSON.stringify({ page, ...span, ...(done ? { done: true } : {}) }), stamp()],
        );
        return toJob(rows[0]!);
      });
      opts.onProgress?.(job);
      if (done) break;
    }
    await warmCaches(deps, job.athlete_id);
    const { rows } = await deps.sql.query(
      `update public.backfill_jobs set status = 'succeeded', finished_at = $2, updated_at = $2 where id = $1 returning ${JOB_COLUMNS}`,
      [jobId, stamp()],
    );
    job = toJob(rows[0]!);
    opts.onProgress?.(job);
    return job;
  } catch (err) {
    // A page request cut off by the stop itself (serve's own fake Strava closing with it) is a
    // stop at the checkpoint, not a failure: the next start resumes the job.
    if (opts.signal?.aborted) return await stopped(job);
    await markFailed(err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    unsubscribe?.();
  }
}

/** The oldest and newest start dates fetched so far, this page included. */
function startSpan(activities: readonly { start_date: string }[], before: BackfillJob['checkpoint']): { oldest?: number; newest?: number } {
  let oldest = before.oldest;
  let newest = before.newest;
  for (const a of activities) {
    const t = Date.parse(a.start_date);
    if (Number.isNaN(t)) continue;
    if (oldest === undefined || t < oldest) oldest = t;
    if (newest === undefined || t > newest) newest = t;
  }
  return { ...(oldest !== undefined ? { oldest } : {}), ...(newest !== undefined ? { newest } : {}) };
}

/** The athlete's activity list is rebuilt in the cache; briefs (they read training load) dropped. */
async function warmCaches(deps: FunctionDeps, athleteId: number): Promise<void> {
  await invalidateAthleteActivities(deps, athleteId);
  await readThrough({
    store: cacheStore(deps),
    key: activitiesKey(athleteId),
    ttlSeconds: ACTIVITIES_TTL_S,
    clock: deps.clock,
    refresh: true,
    load: () => listStoredActivities(deps.sql, athleteId),
  });
}

/**
 * For serve's start: jobs a killed process left `queued`/`running` are resumed from their
 * checkpoints. Returns their ids at once and a promise of their ends (failures are recorded on
 * the rows, never thrown).
 */
export async function resumeInterruptedBackfills(
  deps: FunctionDeps,
  opts: RunOptions = {},
): Promise<{ jobIds: string[]; finished: Promise<BackfillJob[]> }> {
  const { rows } = await deps.sql.query<{ id: string }>(
    `select id::text as id from public.backfill_jobs where status in ('queued', 'running') order by created_at`,
  );
  const jobIds = rows.map((r) => r.id);
  const finished = (async () => {
    const out: BackfillJob[] = [];
    for (const id of jobIds) {
      try {
        out.push(await runBackfillJob(deps, id, opts));
      } catch {
        const job = await getBackfillJob(deps.sql, id);
        if (job) out.push(job);
      }
    }
    return out;
  })();
  return { jobIds, finished };
}
