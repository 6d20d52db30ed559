import type { Handler, NetlifyContext, NetlifyEvent } from '../emulator/types.js';
import { STREAMS_TTL_S, streamsKey } from '../cache/keys.js';
import { DEFAULT_STREAM_ROW_TTL_S, type FunctionDeps } from './deps.js';
import { asCaller, authenticate, requireAthlete } from './lib/auth.js';
import { cachedResponse, cacheStore, createParsedMemo, createRenderedMemo, readThrough, renderOnce, wantsRefresh } from './lib/cache.js';
import { handler, logUnexpected } from './lib/handle.js';
import { badRequest, HttpError, notFound } from './lib/http.js';
import { requireMethod } from './lib/method.js';
import { parseId, queryParam } from './lib/query.js';
import { requireStravaCredentials } from './lib/strava-creds.js';
import { STREAM_KEYS, storeStreams, visibleActivityStreams } from './lib/streams.js';
import type { StravaStreamSet } from '../strava/port.js';
import { isStravaNotFound } from './lib/strava-errors.js';

/** The activity id: the route param, `?activityId=`, or the last path segment. */
export function activityIdOf(event: NetlifyEvent, context: NetlifyContext): number {
  const fromPath = /\/(\d+)\/?$/.exec(event.path ?? '')?.[1];
  const raw = context.params?.['activityId'] ?? queryParam(event, 'activityId') ?? queryParam(event, 'activity_id') ?? fromPath;
  if (raw === undefined) throw badRequest('ACTIVITY_ID_REQUIRED', 'Call /api/streams/<activityId>');
  return parseId(raw, 'activityId');
}

export interface StreamsBody {
  activity_id: number;
  streams: StravaStreamSet;
}

/**
 * `GET /api/streams/:activityId`: one of the caller's activities' streams (Strava's key_by_type
 * shape). Read as the caller: another athlete's activity is a 404, whatever id is sent. Streams
 * come from `activity_streams` (one row per stream type) or, when not stored, from Strava (then
 * stored with an expiry).
 */
export function createApiStreamsHandler(deps: FunctionDeps): Handler {
  const rowTtlMs = (deps.config.streamRowTtlSeconds ?? DEFAULT_STREAM_ROW_TTL_S) * 1000;
  const parsed = createParsedMemo();
  const rendered = createRenderedMemo();
  return handler(async (event, context) => {
    requireMethod(event, ['GET']);
    const activityId = activityIdOf(event, context);
    const caller = await authenticate(event, deps);
    const athleteId = requireAthlete(caller);

    const load = async (): Promise<StreamsBody> => {
      const visible = await asCaller(deps, caller, (tx) => visibleActivityStreams(tx, activityId, deps.clock.now()));
      if (!visible) throw notFound(`Activity ${activityId} not found`);
      if (visible.streams) return { activity_id: activityId, streams: visible.streams };
      const creds = await requireStravaCredentials(deps.sql, athleteId, deps.clock);
      let streams: StravaStreamSet;
      try {
        streams = await deps.strava.getStreams(creds, activityId, STREAM_KEYS);
      } catch (err) {
        if (isStravaNotFound(err)) throw notFound(`Strava has no streams for activity ${activityId}`);
        throw err;
      }
      try {
        const cachedAtMs = deps.clock.now();
        await asCaller(deps, caller, (tx) => storeStreams(tx, athleteId, activityId, streams, { cachedAtMs, expiresAtMs: cachedAtMs + rowTtlMs }));
      } catch (err) {
        // The stored rows are a cache: a row the caller may not overwrite (written by someone
        // else) costs a Strava call next time, never the caller's answer.
        deps.log?.({ level: 'warn', function: 'api-streams', status: 200, message: `streams of activity ${activityId} not stored`, error: err });
      }
      return { activity_id: activityId, streams };
    };

    const key = streamsKey(athleteId, activityId);
    const { entry, status, version } = await readThrough({
      store: cacheStore(deps),
      key,
      memo: parsed,
      ttlSeconds: STREAMS_TTL_S,
      clock: deps.clock,
      refresh: wantsRefresh(event),
      load,
    });
    if (entry.value.activity_id !== activityId) throw new HttpError(500, 'CACHE_CORRUPT', 'Cached streams do not match');
    const out = renderOnce(rendered, `${key}|${version}`, () => JSON.stringify(entry.value));
    return cachedResponse(event, out.body, status, entry.expiresAt, deps.clock, out.etag);
  }, logUnexpected(deps, 'api-streams'));
}
