import { mintAccessToken } from '../auth/jwt.js';
import type { CommandContext } from '../cli/context.js';
import { table } from '../cli/output.js';
import { systemClock, type Clock } from '../clock.js';
import { EXIT_FAILURE } from '../errors.js';
import { createProgress } from '../ui/progress.js';
import { mapLimit } from '../util/limiter.js';
import { siteSecret } from './credentials.js';
import { errorDetail, type SiteClient } from './site-client.js';
import { siteClientFor, siteTarget, targetLine } from './target.js';
import type { CacheKind } from '../cache/keys.js';

/** How many of an athlete's most recent activities get their streams warmed. */
export const STREAMS_PER_ATHLETE = 5;
const WARM_TOKEN_TTL_S = 600;

export interface WarmPlan {
  athletes: number[];
  kinds: CacheKind[];
  concurrency: number;
  streamsPerAthlete?: number;
}

export interface WarmCounts {
  requests: number;
  hit: number;
  miss: number;
  errors: number;
}

export interface WarmSummary extends WarmCounts {
  byKind: Record<CacheKind, WarmCounts>;
  failures: Array<{ athleteId: number; path: string; status: number | string; message: string }>;
}

const zero = (): WarmCounts => ({ requests: 0, hit: 0, miss: 0, errors: 0 });

/**
 * Calls the function API as each athlete, the way the app does, so the site's caches fill as real
 * traffic fills them. 429s are retried with backoff by the site client.
 */
export async function warmCaches(
  client: SiteClient,
  plan: WarmPlan,
  tokenFor: (athleteId: number) => string,
  onAthleteDone?: (athleteId: number, summary: WarmSummary) => void,
): Promise<WarmSummary> {
  const summary: WarmSummary = { ...zero(), byKind: { activities: zero(), streams: zero(), brief: zero() }, failures: [] };
  const count = (kind: CacheKind, athleteId: number, path: string, status: number, xCache: unknown, body: unknown) => {
    for (const c of [summary, summary.byKind[kind]]) {
      c.requests++;
      if (status >= 200 && status < 300) {
        if (xCache === 'HIT') c.hit++;
        else c.miss++;
      } else c.errors++;
    }
    if (status < 200 || status >= 300) summary.failures.push({ athleteId, path, status, message: errorDetail(body).replace(/^: /, '') });
  };
  const get = async (kind: CacheKind, athleteId: number, path: string, token: string) => {
    try {
      const res = await client.send<Record<string, any>>({ method: 'GET', path, headers: { authorization: `Bearer ${token}` } });
      if (res.status === 0) return undefined; // dry run
      count(kind, athleteId, path, res.status, res.headers['x-cache'], res.body);
      return res.status === 200 ? res.body : undefined;
    } catch (err) {
      for (const c of [summary, summary.byKind[kind]]) {
        c.requests++;
        c.errors++;
      }
      summary.failures.push({ athleteId, path, status: 'error', message: (err as Error).message });
      return undefined;
    }
  };

  await mapLimit(plan.athletes, plan.concurrency, async (athleteId) => {
    const token = tokenFor(athleteId);
    const wantsStreams = plan.kinds.includes('streams');
    let activities: Array<{ id: number }> = [];
    if (plan.kinds.includes('activities') || wantsStreams) {
      const body = await get('activities', athleteId, '/api/activities', token);
      activities = (body?.activities as Array<{ id: number }> | undefined) ?? [];
    }
    if (wantsStreams) {
      for (const a of activities.slice(0, plan.streamsPerAthlete ?? STREAMS_PER_ATHLETE)) await get('streams', athleteId, `/api/streams/${a.id}`, token);
    }
    if (plan.kinds.includes('brief')) await get('brief', athleteId, '/api/ai-brief', token);
    onAthleteDone?.(athleteId, summary);
  });
  return summary;
}

/** `veloready cache warm`. */
export async function runCacheWarm(ctx: CommandContext, plan: WarmPlan, clock: Clock = systemClock): Promise<void> {
  const site = siteTarget(ctx);
  const url = site.url;
  ctx.out.info(targetLine(site));
  const secret = ctx.opts.dryRun ? 'dry-run-secret-dry-run-secret-dry-run' : await siteSecret(ctx, url);
  const client = siteClientFor(ctx, undefined, clock);
  let done = 0;
  try {
    const progress = await createProgress(ctx.out, `warming caches on ${url}`, clock);
    let summary: WarmSummary;
    try {
      summary = await warmCaches(
        client,
        plan,
        (athleteId) => mintAccessToken({ secret, clock, athleteId, ttlSeconds: WARM_TOKEN_TTL_S }).token,
        (_id, s) => progress.update('athletes', { label: 'athletes', done: ++done, total: plan.athletes.length, detail: `${s.hit} HIT · ${s.miss} MISS · ${s.errors} errors` }),
      );
    } catch (err) {
      await progress.finish(); // take the live view down before the error is printed
      throw err;
    }
    await progress.finish(`${summary.requests} requests: ${summary.hit} HIT, ${summary.miss} MISS, ${summary.errors} errors`);
    if (ctx.opts.dryRun) return;
    ctx.out.result(
      () =>
        table(
          ['kind', 'requests', 'HIT', 'MISS', 'errors'],
          plan.kinds.map((k) => [k, summary.byKind[k].requests, summary.byKind[k].hit, summary.byKind[k].miss, summary.byKind[k].errors]),
        ) + (summary.failures.length ? `\n\nfailures:\n${summary.failures.slice(0, 10).map((f) => `  athlete ${f.athleteId} ${f.path}: ${f.status} ${f.message}`).join('\n')}` : ''),
      { target: url, ...summary },
    );
    if (summary.errors > 0) process.exitCode = EXIT_FAILURE;
  } finally {
    await client.close();
  }
}
