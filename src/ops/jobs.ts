import type { Clock } from '../clock.js';
import { VeloError } from '../errors.js';
import { credentialError } from './credentials.js';
import { errorDetail, type SiteClient } from './site-client.js';

export const JOB_POLL_MS = 500;

/** A background job as the commands show it, whether the record came from the emulator or the database. */
export interface JobView {
  id: string;
  function: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  /** The backfill_jobs row id, when the job is a backfill. */
  backfillJobId?: string;
  athleteId?: number;
  pagesFetched?: number;
  activitiesUpserted?: number;
  rateLimitWaits?: number;
  rateLimitedUntil?: string | null;
  /** 0..1 of the backfill's date range fetched, when it can be told (a `since` is known). */
  fraction?: number;
  /** A backfill refused because another one runs for the athlete. */
  conflict?: boolean;
  error?: string;
  errorCode?: string;
  raw: Record<string, unknown>;
}

type Obj = Record<string, any>;

/**
 * How much of `since`..`until` (or ..the job's start) a backfill has fetched. Strava lists newest
 * first, except with `after` alone (oldest first), so the covered span grows from one end.
 */
export function backfillFraction(p: Obj): number | undefined {
  const cp = (p.checkpoint ?? {}) as { done?: boolean; oldest?: number; newest?: number };
  if (cp.done || p.status === 'succeeded') return 1;
  const since = p.since ? Date.parse(p.since) : NaN;
  const end = p.until ? Date.parse(p.until) : p.started_at ? Date.parse(p.started_at) : NaN;
  if (Number.isNaN(since) || Number.isNaN(end) || end <= since) return undefined;
  const oldestFirst = !p.until;
  const reached = oldestFirst ? cp.newest : cp.oldest;
  if (reached === undefined) return 0;
  const covered = oldestFirst ? reached - since : end - reached;
  return Math.min(1, Math.max(0, covered / (end - since)));
}

/** Normalizes an emulator job record (`progress`) or a backfill_jobs row. */
export function toJobView(raw: Obj): JobView {
  const p: Obj = raw.progress ?? raw;
  const isRow = raw.progress === undefined && 'pages_fetched' in raw;
  const status = (raw.status === 'cancelled' ? 'failed' : raw.status) as JobView['status'];
  const error = raw.error ? (typeof raw.error === 'string' ? raw.error : raw.error.message) : undefined;
  const errorCode = raw.error && typeof raw.error === 'object' ? (raw.error.code as string | undefined) : undefined;
  return {
    id: String(raw.id),
    function: String(raw.function ?? 'backfill-background'),
    status,
    ...(isRow ? { backfillJobId: String(raw.id) } : p.backfill_job_id ? { backfillJobId: String(p.backfill_job_id) } : {}),
    ...(p.athlete_id !== undefined ? { athleteId: Number(p.athlete_id) } : {}),
    ...(p.pages_fetched !== undefined ? { pagesFetched: Number(p.pages_fetched) } : {}),
    ...(p.activities_upserted !== undefined ? { activitiesUpserted: Number(p.activities_upserted) } : {}),
    ...(p.rate_limit_waits !== undefined ? { rateLimitWaits: Number(p.rate_limit_waits) } : {}),
    ...(p.rate_limited_until !== undefined ? { rateLimitedUntil: p.rate_limited_until } : {}),
    ...(p.conflict ? { conflict: true } : {}),
    ...(backfillFraction(p) !== undefined ? { fraction: backfillFraction(p)! } : {}),
    ...(error ? { error } : {}),
    ...(errorCode ? { errorCode } : {}),
    raw,
  };
}

export async function readJob(client: SiteClient, id: string): Promise<JobView> {
  const res = await client.send<Obj>({ method: 'GET', path: `/api/jobs/${encodeURIComponent(id)}` });
  // Job records answer only their own user or an operator: a refused token is the secret's fault.
  const rejected = credentialError(client.baseUrl, res.status, res.body);
  if (rejected) throw rejected;
  if (res.status === 404) throw new VeloError('JOB_NOT_FOUND', `${client.baseUrl} has no job ${id}`, 'check the id (veloready backfill prints it)');
  if (res.status !== 200) throw new VeloError('JOB_READ_FAILED', `GET /api/jobs/${id} answered ${res.status}${errorDetail(res.body)}`);
  if (typeof res.body !== 'object' || res.body === null || Array.isArray(res.body)) {
    // e.g. a site's HTML fallback page: not ours to parse.
    throw new VeloError('JOB_READ_FAILED', `GET ${client.baseUrl}/api/jobs/${id} did not answer a job record`, 'is --url a VeloReady site?');
  }
  return toJobView(res.body);
}

export const isFinished = (j: JobView): boolean => j.status === 'succeeded' || j.status === 'failed';

export interface FollowOptions {
  clock: Clock;
  pollMs?: number;
  signal?: AbortSignal;
  onUpdate?: (job: JobView) => void;
}

/**
 * Polls a job until it ends (or `signal` stops the following, not the job). A backfill refused
 * for a running one switches to following that running job.
 */
export async function followJob(client: SiteClient, id: string, opts: FollowOptions): Promise<JobView> {
  let current = id;
  let conflict = false;
  for (;;) {
    let job = await readJob(client, current);
    if (job.conflict && job.backfillJobId && job.backfillJobId !== current) {
      conflict = true;
      current = job.backfillJobId;
      job = await readJob(client, current);
    }
    if (conflict) job = { ...job, conflict: true };
    opts.onUpdate?.(job);
    if (isFinished(job) || opts.signal?.aborted) return job;
    await opts.clock.sleep(opts.pollMs ?? JOB_POLL_MS);
  }
}

/** A background job refused at once for its token: the operator's secret is not the site's. */
export function tokenRejection(url: string, jobs: readonly JobView[]): VeloError | undefined {
  const refused = jobs.find((j) => j.status === 'failed' && /^(JWT_|UNAUTHORIZED|FORBIDDEN|INSUFFICIENT_ROLE)/.test(j.errorCode ?? ''));
  if (!refused) return undefined;
  return new VeloError(
    'SITE_REJECTED_TOKEN',
    `${url} rejected the operator token (${refused.errorCode})`,
    refused.errorCode?.startsWith('JWT_') ? 'set SUPABASE_JWT_SECRET to the site\'s JWT secret, or pass a valid --token' : 'the token needs role service_role',
  );
}
