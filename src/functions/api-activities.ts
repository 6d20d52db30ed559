import type { Handler } from '../emulator/types.js';
import { ACTIVITIES_TTL_S, activitiesKey } from '../cache/keys.js';
import type { FunctionDeps } from './deps.js';
import { listStoredActivities, upsertActivities, type ActivityJson } from './lib/activities.js';
import { asCaller, authenticate, requireAthlete } from './lib/auth.js';
import { cachedResponse, cacheStore, createParsedMemo, createRenderedMemo, readThrough, renderOnce, wantsRefresh } from './lib/cache.js';
import { handler, logUnexpected } from './lib/handle.js';
import { requireMethod } from './lib/method.js';
import { parseListQuery, type ListQuery } from './lib/query.js';
import { stravaCredentials } from './lib/strava-creds.js';

/** First page fetched from Strava when an athlete has nothing stored yet. */
export const FIRST_SYNC_PAGE_SIZE = 200;

/** Rendered bodies kept per (cache entry version, query), so a hit costs no JSON work: more than the other handlers need. */
const RENDERED_MEMO_ENTRIES = 512;

export interface ActivitiesBody {
  athlete_id: number;
  count: number;
  activities: ActivityJson[];
}

/** The cached list holds every stored activity; the query narrows it per request. */
function select(all: readonly ActivityJson[], q: ListQuery): ActivityJson[] {
  const out: ActivityJson[] = [];
  for (const a of all) {
    const t = Date.parse(a.start_date) / 1000;
    if (q.before !== undefined && !(t < q.before)) continue;
    if (q.after !== undefined && !(t > q.after)) continue;
    out.push(a);
    if (out.length >= q.limit) break;
  }
  return out;
}

/**
 * `GET /api/activities?limit=&before=&after=`: the caller's activities, newest first, read as the
 * caller (RLS) and cached whole under `activities:{athleteId}` for 24 h. An athlete with nothing
 * stored gets a first page pulled from Strava.
 */
export function createApiActivitiesHandler(deps: FunctionDeps): Handler {
  const parsed = createParsedMemo();
  const rendered = createRenderedMemo(RENDERED_MEMO_ENTRIES);
  return handler(async (event) => {
    requireMethod(event, ['GET']);
    const query = parseListQuery(event);
    const caller = await authenticate(event, deps);
    const athleteId = requireAthlete(caller);

    const load = async (): Promise<ActivityJson[]> => {
      const stored = await asCaller(deps, caller, (tx) => listStoredActivities(tx, athleteId));
      if (stored.length > 0) return stored;
      const creds = await stravaCredentials(deps.sql, athleteId, deps.clock);
      if (!creds) return stored;
      const fetched = await deps.strava.listActivities(creds, { perPage: FIRST_SYNC_PAGE_SIZE, page: 1 });
      if (fetched.length === 0) return stored;
      // Activities are Strava's records, written under the service's authority (users may not create
      // them: their id is Strava's); the athlete is the verified caller's, and another athlete's row
      // with the same id is left alone by the upsert.
      await upsertActivities(deps.sql, athleteId, fetched, deps.clock.now());
      return asCaller(deps, caller, (tx) => listStoredActivities(tx, athleteId));
    };

    const key = activitiesKey(athleteId);
    const { entry, status, version } = await readThrough({
      store: cacheStore(deps),
      key,
      ttlSeconds: ACTIVITIES_TTL_S,
      clock: deps.clock,
      refresh: wantsRefresh(event),
      load,
      memo: parsed,
    });
    const renderKey = `${key}|${version}|${query.limit}|${query.before ?? ''}|${query.after ?? ''}`;
    const out = renderOnce(rendered, renderKey, () => {
      const activities = select(entry.value, query);
      return JSON.stringify({ athlete_id: athleteId, count: activities.length, activities } satisfies ActivitiesBody);
    });
    return cachedResponse(event, out.body, status, entry.expiresAt, deps.clock, out.etag);
  }, logUnexpected(deps, 'api-activities'));
}
