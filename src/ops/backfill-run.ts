import type { CommandContext } from '../cli/context.js';
import { table } from '../cli/output.js';
import { systemClock, type Clock } from '../clock.js';
import { EXIT_FAILURE, VeloError } from '../errors.js';
import { createProgress, type ProgressReporter } from '../ui/progress.js';
import { mapLimit } from '../util/limiter.js';
import { formatDuration } from '../util/duration.js';
import { startBackfill, type BackfillRequest } from './backfill.js';
import { operatorToken } from './credentials.js';
import { followJob, isFinished, tokenRejection, type JobView } from './jobs.js';
import type { SiteClient } from './site-client.js';
import { siteClientFor, siteTarget, targetLine } from './target.js';

const PERMILLE = 1000;

export interface BackfillPlan {
  athletes: number[];
  /** Athletes left out because they never connected Strava (--all-athletes): reported, not failed. */
  notConnected?: number[];
  since?: string;
  until?: string;
  wait: boolean;
  concurrency: number;
}

/** One progress row's text: pages, activities, rate-limit waits and when the window resets. */
export function backfillDetail(job: JobView, now: number): string {
  const parts = [`${job.activitiesUpserted ?? 0} activities`];
  if (job.rateLimitWaits) parts.push(`${job.rateLimitWaits} rate-limit waits`);
  const until = job.rateLimitedUntil ? Date.parse(job.rateLimitedUntil) : NaN;
  if (job.status === 'running' && until > now) parts.push(`waiting ${formatDuration((until - now) / 1000)} for the rate-limit window`);
  if (job.conflict) parts.push(`already running: job ${job.backfillJobId}`);
  if (job.error) parts.push(job.error);
  return parts.join(' · ');
}

function report(progress: ProgressReporter, taskId: string, job: JobView, clock: Clock): void {
  // With a known date range the bar (and its ETA) follows the share of it fetched; else pages.
  const permille = job.fraction !== undefined ? Math.round(job.fraction * PERMILLE) : undefined;
  progress.update(taskId, {
    label: job.athleteId ? `athlete ${job.athleteId}` : `job ${taskId.slice(0, 8)}`,
    ...(permille !== undefined ? { done: permille, total: PERMILLE, asPercent: true } : { done: job.pagesFetched ?? 0 }),
    detail: `page ${job.pagesFetched ?? 0} · ${backfillDetail(job, clock.now())}`,
    status: job.status === 'failed' ? 'failed' : job.status === 'succeeded' ? 'done' : 'running',
  });
}

async function followAll(
  ctx: CommandContext,
  client: SiteClient,
  jobs: Array<{ athleteId: number | undefined; jobId: string }>,
  concurrency: number,
  clock: Clock,
): Promise<JobView[]> {
  const progress = await createProgress(ctx.out, `backfill on ${client.baseUrl}`, clock);
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  try {
    let results: JobView[];
    try {
      results = await mapLimit(jobs, concurrency, ({ athleteId, jobId }) =>
        followJob(client, jobId, { clock, signal: stop.signal, onUpdate: (j) => report(progress, jobId, { athleteId, ...j }, clock) }),
      );
    } catch (err) {
      // The other followers stop at their next poll; the live display comes down before the
      // error is printed below it.
      stop.abort();
      await progress.finish();
      throw err;
    }
    const done = results.filter(isFinished).length;
    await progress.finish(
      stop.signal.aborted
        ? `stopped following; the jobs keep running (${done}/${results.length} finished)`
        : `${results.filter((r) => r.status === 'succeeded').length} succeeded, ${results.filter((r) => r.status === 'failed').length} failed`,
    );
    if (stop.signal.aborted) {
      for (const r of results.filter((j) => !isFinished(j))) ctx.out.info(`follow again: veloready backfill status ${r.backfillJobId ?? r.id}`);
    }
    return results;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function render(results: JobView[]): string {
  return table(
    ['athlete', 'job', 'status', 'pages', 'activities', 'rate-limit waits', 'note'],
    results.map((r) => [r.athleteId, r.backfillJobId ?? r.id, r.status, r.pagesFetched, r.activitiesUpserted, r.rateLimitWaits, r.conflict ? 'was already running' : (r.error ?? '')]),
  );
}

const record = (r: JobView) => ({ ...r.raw, ...(r.conflict ? { conflict: true } : {}) });

/** One athlete's line of `backfill --json`: the same keys whether it was followed or not. */
export interface BackfillJobResult {
  athleteId: number;
  jobId: string;
  status: JobView['status'];
  [key: string]: unknown;
}

/**
 * `backfill --json` is always `{ target, jobs: [...], skipped: [...] }`, for one athlete or many,
 * followed or --no-wait: scripts read one shape.
 */
export interface BackfillReport {
  target: string;
  jobs: BackfillJobResult[];
  skipped: Array<{ athleteId: number; reason: 'NOT_CONNECTED' }>;
}

/** `veloready backfill`: start one job per athlete, then follow them (unless --no-wait). */
export async function runBackfill(ctx: CommandContext, plan: BackfillPlan, clock: Clock = systemClock): Promise<void> {
  const site = siteTarget(ctx);
  const url = site.url;
  ctx.out.info(targetLine(site));
  const notConnected = plan.notConnected ?? [];
  const skipped = notConnected.map((athleteId) => ({ athleteId, reason: 'NOT_CONNECTED' as const }));
  if (notConnected.length) {
    ctx.out.info(`skipped ${notConnected.length} athlete${notConnected.length === 1 ? '' : 's'} never connected to Strava: ${notConnected.join(', ')}`);
  }
  if (plan.athletes.length === 0) {
    throw new VeloError('NO_CONNECTED_ATHLETES', 'no athlete in the database is connected to Strava: nothing to backfill', 'an athlete connects through /oauth/strava/callback');
  }
  const token = ctx.opts.dryRun && ctx.opts.token === undefined ? 'dry-run' : await operatorToken(ctx, url, clock);
  const client = siteClientFor(ctx, token, clock);
  try {
    const started = await mapLimit(plan.athletes, plan.concurrency, async (athleteId) => {
      const req: BackfillRequest = { athleteId, ...(plan.since ? { since: plan.since } : {}), ...(plan.until ? { until: plan.until } : {}) };
      return { athleteId, jobId: await startBackfill(client, req) };
    });
    if (ctx.opts.dryRun) return;
    if (!plan.wait) {
      const report: BackfillReport = { target: url, jobs: started.map((s) => ({ ...s, status: 'queued' as const })), skipped };
      ctx.out.result(started.map((s) => `athlete ${s.athleteId}: job ${s.jobId} (follow: veloready backfill status ${s.jobId})`).join('\n'), report);
      return;
    }
    const results = await followAll(ctx, client, started, plan.concurrency, clock);
    const rejected = tokenRejection(url, results);
    if (rejected) throw rejected;
    const report: BackfillReport = {
      target: url,
      jobs: results.map((r, i) => ({ ...record(r), athleteId: started[i]!.athleteId, jobId: started[i]!.jobId, status: r.status })),
      skipped,
    };
    ctx.out.result(() => render(results), report);
    if (results.some((r) => r.status === 'failed' && !r.conflict)) process.exitCode = EXIT_FAILURE;
  } finally {
    await client.close();
  }
}

/** `veloready backfill status <job-id>`: follow a job started earlier. */
export async function runBackfillStatus(ctx: CommandContext, jobId: string, clock: Clock = systemClock): Promise<void> {
  const site = siteTarget(ctx);
  const url = site.url;
  ctx.out.info(targetLine(site));
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(jobId)) throw new VeloError('INVALID_JOB_ID', `"${jobId}" is not a job id`, undefined, 2);
  // Job records answer their own user or an operator: follow as an operator.
  const client = siteClientFor(ctx, await operatorToken(ctx, url, clock), clock);
  try {
    const [result] = await followAll(ctx, client, [{ athleteId: undefined, jobId }], 1, clock);
    ctx.out.result(() => render([result!]), record(result!));
    if (result!.status === 'failed') process.exitCode = EXIT_FAILURE;
  } finally {
    await client.close();
  }
}
