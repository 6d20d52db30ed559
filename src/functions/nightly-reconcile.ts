import type { Handler } from '../emulator/types.js';
import { DEFAULT_RECONCILE_DAYS, type FunctionDeps } from './deps.js';
import { deleteActivities, storedIdsBetween, upsertActivities } from './lib/activities.js';
import { handler, logUnexpected } from './lib/handle.js';
import { json } from './lib/http.js';
import { requireMethod } from './lib/method.js';
import { invalidateAthleteActivities } from './lib/invalidate.js';
import { stravaCredentials } from './lib/strava-creds.js';
import type { StravaActivitySummary } from '../strava/port.js';

const PAGE_SIZE = 200;
/** Safety stop: a week never holds more than this many pages of activities. */
const MAX_PAGES = 20;
const DAY_S = 86_400;

export interface ReconcileSummary {
  athletes: number;
  upserted: number;
  deleted: number;
  failed: Array<{ athlete_id: number; error: string }>;
  window: { after: number; before: number };
}

async function recentFromStrava(deps: FunctionDeps, athleteId: number, after: number, before: number): Promise<StravaActivitySummary[] | null> {
  const creds = await stravaCredentials(deps.sql, athleteId, deps.clock);
  if (!creds) return null;
  const out: StravaActivitySummary[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const batch = await deps.strava.listActivities(creds, { after, before, page, perPage: PAGE_SIZE });
    out.push(...batch);
    if (batch.length < PAGE_SIZE) break;
  }
  return out;
}

/** Makes one athlete's recent window match Strava: changed rows upserted, vanished rows deleted. */
export async function reconcileAthlete(
  deps: FunctionDeps,
  athleteId: number,
  after: number,
  before: number,
): Promise<{ upserted: number; deleted: number } | null> {
  const remote = await recentFromStrava(deps, athleteId, after, before);
  if (!remote) return null;
  const mine = remote.filter((a) => a.athlete?.id === undefined || a.athlete.id === athleteId);
  const remoteIds = new Set(mine.map((a) => a.id));
  const { upserted, deleted } = await deps.sql.transaction(async (tx) => {
    const upserted = await upsertActivities(tx, athleteId, mine, deps.clock.now());
    const stored = await storedIdsBetween(tx, athleteId, after, before);
    const deleted = await deleteActivities(tx, athleteId, stored.filter((id) => !remoteIds.has(id)));
    return { upserted, deleted };
  });
  if (upserted + deleted > 0) await invalidateAthleteActivities(deps, athleteId);
  return { upserted, deleted };
}

/**
 * Scheduled `0 3 * * *`: re-syncs the last days (default 7) of every connected athlete from
 * Strava and fixes drift. One athlete's failure is recorded and the others still run.
 */
export function createNightlyReconcileHandler(deps: FunctionDeps): Handler {
  const days = deps.config.reconcileDays ?? DEFAULT_RECONCILE_DAYS;
  return handler(async (event, context) => {
    requireMethod(event, ['POST']); // Netlify invokes scheduled functions with a POST
    const before = Math.floor(deps.clock.now() / 1000);
    const after = before - days * DAY_S;
    const { rows } = await deps.sql.query<{ id: string }>(
      `select id::text as id from public.athletes
       where deauthorized_at is null and strava_refresh_token is not null order by id`,
    );
    const summary: ReconcileSummary = { athletes: 0, upserted: 0, deleted: 0, failed: [], window: { after, before } };
    for (const { id } of rows) {
      if (context.signal?.aborted) break;
      const athleteId = Number(id);
      try {
        const r = await reconcileAthlete(deps, athleteId, after, before);
        if (!r) continue;
        summary.athletes++;
        summary.upserted += r.upserted;
        summary.deleted += r.deleted;
      } catch (err) {
        summary.failed.push({ athlete_id: athleteId, error: err instanceof Error ? err.message : String(err) });
      }
      context.reportProgress?.({ athletes: summary.athletes, upserted: summary.upserted, deleted: summary.deleted });
    }
    return json(200, summary);
  }, logUnexpected(deps, 'nightly-reconcile'));
}
