import type { Queryable } from '../../db/sql.js';
import type { StravaStream, StravaStreamSet, StreamKey } from '../../strava/port.js';

/** Every stream type the app draws. */
export const STREAM_KEYS: readonly StreamKey[] = [
  'time', 'distance', 'latlng', 'altitude', 'velocity_smooth', 'heartrate', 'cadence', 'watts', 'moving', 'grade_smooth',
];

export interface VisibleActivity {
  /** Null when the activity is visible but its streams are not stored (or expired). */
  streams: StravaStreamSet | null;
}

/** One `activity_streams` row: one stream of one activity (the reference's shape). */
export interface StreamRow {
  stream_type: string | null;
  data: unknown;
  series_type: string | null;
  original_size: number | string | null;
  resolution: string | null;
}

const parsed = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

/** Rows of one activity back into Strava's key_by_type object. */
export function streamSetOf(rows: readonly StreamRow[]): StravaStreamSet {
  const set: Record<string, StravaStream> = {};
  for (const r of rows) {
    if (r.stream_type === null) continue;
    set[r.stream_type] = {
      type: r.stream_type as StreamKey,
      data: parsed(r.data) as unknown[],
      series_type: (r.series_type ?? 'time') as StravaStream['series_type'],
      original_size: r.original_size === null ? (parsed(r.data) as unknown[]).length : Number(r.original_size),
      resolution: (r.resolution ?? 'high') as StravaStream['resolution'],
    };
  }
  return set;
}

/**
 * The activity as `db`'s role sees it (run as the caller: another athlete's activity is
 * invisible, exactly like a missing one), with its stored streams when still fresh.
 */
export async function visibleActivityStreams(db: Queryable, activityId: number, nowMs: number): Promise<VisibleActivity | null> {
  const { rows } = await db.query<StreamRow>(
    `select s.stream_type, s.data, s.series_type, s.original_size, s.resolution
       from public.activities a
       left join public.activity_streams s
         on s.activity_id = a.id and (s.expires_at is null or s.expires_at > to_timestamp($2 / 1000.0))
      where a.id = $1`,
    [activityId, nowMs],
  );
  if (rows.length === 0) return null;
  const streams = streamSetOf(rows);
  return { streams: Object.keys(streams).length > 0 ? streams : null };
}

/** The set as one JSON array of rows, for a single bound parameter. */
function rowsJson(streams: StravaStreamSet): string {
  return JSON.stringify(
    Object.entries(streams).map(([type, s]) => ({
      stream_type: type,
      data: s?.data ?? [],
      series_type: s?.series_type ?? null,
      original_size: Number.isSafeInteger(s?.original_size) ? s!.original_size : null,
      resolution: s?.resolution ?? null,
    })),
  );
}

/**
 * Stores fetched streams, one row per type, cached at `cachedAtMs` until `expiresAtMs` (cleanup removes them after);
 * types the new set lacks are removed. Run as the caller, the policies check that the activity
 * is the caller's.
 */
export async function storeStreams(
  db: Queryable,
  athleteId: number,
  activityId: number,
  streams: StravaStreamSet,
  times: { cachedAtMs: number; expiresAtMs: number },
): Promise<void> {
  const rows = rowsJson(streams);
  await db.query(
    `delete from public.activity_streams
      where activity_id = $1 and stream_type <> all (select x.stream_type from jsonb_to_recordset($2::jsonb) as x(stream_type text))`,
    [activityId, rows],
  );
  await db.query(
    `insert into public.activity_streams (activity_id, athlete_id, stream_type, data, series_type, original_size, resolution, cached_at, expires_at)
     select $1::bigint, $2::bigint, x.stream_type, x.data, x.series_type, x.original_size, x.resolution, to_timestamp($4::double precision / 1000.0), to_timestamp($5::double precision / 1000.0)
       from jsonb_to_recordset($3::jsonb) as x(stream_type text, data jsonb, series_type text, original_size integer, resolution text)
     on conflict (activity_id, stream_type) do update set data = excluded.data,
       series_type = excluded.series_type, original_size = excluded.original_size, resolution = excluded.resolution,
       cached_at = excluded.cached_at, expires_at = excluded.expires_at`,
    [activityId, athleteId, rows, times.cachedAtMs, times.expiresAtMs],
  );
}
