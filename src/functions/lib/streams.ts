import type { Queryable } from '../../db/sql.js';
import type { StravaStreamSet, StreamKey } from '../../strava/port.js';

/** Every stream type the app draws. */
export const STREAM_KEYS: readonly StreamKey[] = [
  'time', 'distance', 'latlng', 'altitude', 'velocity_smooth', 'heartrate', 'cadence', 'watts', 'moving', 'grade_smooth',
];

export interface VisibleActivity {
  /** Null when the activity is visible but its streams are not stored (or expired). */
  streams: StravaStreamSet | null;
}

/**
 * The activity as `db`'s role sees it (run as the caller: another athlete's activity is
 * invisible, exactly like a missing one), with its stored streams when still fresh.
 */
export async function visibleActivityStreams(db: Queryable, activityId: number, nowMs: number): Promise<VisibleActivity | null> {
  const { rows } = await db.query<{ streams: unknown }>(
    `select s.streams from public.activities a
       left join public.activity_streams s
         on s.activity_id = a.id and (s.expires_at is null or s.expires_at > to_timestamp($2 / 1000.0))
      where a.id = $1`,
    [activityId, nowMs],
  );
  const row = rows[0];
  if (!row) return null;
  const raw = row.streams;
  const streams = typeof raw === 'string' ? (JSON.parse(raw) as StravaStreamSet) : ((raw as StravaStreamSet | null) ?? null);
  return { streams };
}

/** Stores fetched streams until `expiresAtMs` (cleanup removes them after). */
export async function storeStreams(
  db: Queryable,
  athleteId: number,
  activityId: number,
  streams: StravaStreamSet,
  expiresAtMs: number,
): Promise<void> {
  await db.query(
    `insert into public.activity_streams (activity_id, athlete_id, streams, expires_at)
     values ($1, $2, $3::jsonb, to_timestamp($4 / 1000.0))
     on conflict (activity_id) do update set streams = excluded.streams, expires_at = excluded.expires_at, created_at = now()`,
    [activityId, athleteId, JSON.stringify(streams), expiresAtMs],
  );
}
