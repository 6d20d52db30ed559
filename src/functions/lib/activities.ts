import type { Queryable } from '../../db/sql.js';
import type { StravaActivitySummary } from '../../strava/port.js';
import { storableText } from './jsonb.js';

/** Columns of `public.activities` filled from a Strava summary, with their SQL types. */
const COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['id', 'bigint'],
  ['athlete_id', 'bigint'],
  ['name', 'text'],
  ['type', 'text'],
  ['sport_type', 'text'],
  ['start_date', 'timestamptz'],
  ['start_date_local', 'timestamp'],
  ['timezone', 'text'],
  ['distance', 'double precision'],
  ['moving_time', 'integer'],
  ['elapsed_time', 'integer'],
  ['total_elevation_gain', 'double precision'],
  ['average_speed', 'double precision'],
  ['max_speed', 'double precision'],
  ['average_heartrate', 'double precision'],
  ['max_heartrate', 'double precision'],
  ['average_watts', 'double precision'],
  ['weighted_average_watts', 'double precision'],
  ['kilojoules', 'double precision'],
  ['device_watts', 'boolean'],
  ['has_heartrate', 'boolean'],
  ['average_cadence', 'double precision'],
];
const NAMES = COLUMNS.map(([n]) => n);
const MUTABLE = NAMES.filter((n) => n !== 'id' && n !== 'athlete_id');

/**
 * One multi-row upsert (a single bound JSON parameter); counts only rows inserted or really
 * changed. `created_at` / `updated_at` are the caller's clock ($2), not the database's now().
 */
const UPSERT_SQL = `
insert into public.activities (${NAMES.join(', ')}, created_at, updated_at)
select ${NAMES.join(', ')}, $2::timestamptz, $2::timestamptz from jsonb_to_recordset($1::jsonb) as x(${COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')})
on conflict (id) do update set ${MUTABLE.map((n) => `${n} = excluded.${n}`).join(', ')}, updated_at = excluded.updated_at
where activities.athlete_id = excluded.athlete_id
  and (${MUTABLE.map((n) => `activities.${n}`).join(', ')}) is distinct from (${MUTABLE.map((n) => `excluded.${n}`).join(', ')})`;

/** Strava data is user text: a NUL in an activity's name must not fail the whole upsert. */
function toRow(a: StravaActivitySummary, athleteId: number): Record<string, unknown> {
  const intOf = (v: unknown): number => Math.round(Number(v ?? 0)) || 0;
  return {
    id: a.id,
    athlete_id: athleteId,
    name: storableText(a.name ?? ''),
    type: a.type ?? 'Ride',
    sport_type: a.sport_type ?? a.type ?? 'Ride',
    start_date: a.start_date,
    start_date_local: a.start_date_local ?? a.start_date,
    timezone: typeof a.timezone === 'string' ? storableText(a.timezone) : null,
    distance: a.distance ?? 0,
    moving_time: intOf(a.moving_time),
    elapsed_time: intOf(a.elapsed_time),
    total_elevation_gain: a.total_elevation_gain ?? 0,
    average_speed: a.average_speed ?? null,
    max_speed: a.max_speed ?? null,
    average_heartrate: a.average_heartrate ?? null,
    max_heartrate: a.max_heartrate ?? null,
    average_watts: a.average_watts ?? null,
    weighted_average_watts: a.weighted_average_watts ?? null,
    kilojoules: a.kilojoules ?? null,
    device_watts: a.device_watts ?? false,
    has_heartrate: a.has_heartrate ?? false,
    average_cadence: a.average_cadence ?? null,
  };
}

const UPSERT_CHUNK = 500;

/** Upserts Strava summaries for one athlete at `nowMs`; returns how many rows were inserted or changed. */
export async function upsertActivities(db: Queryable, athleteId: number, activities: readonly StravaActivitySummary[], nowMs: number): Promise<number> {
  let changed = 0;
  const at = new Date(nowMs).toISOString();
  for (let i = 0; i < activities.length; i += UPSERT_CHUNK) {
    const rows = activities.slice(i, i + UPSERT_CHUNK).map((a) => toRow(a, athleteId));
    const res = await db.query(UPSERT_SQL, [JSON.stringify(rows), at]);
    changed += res.rowCount;
  }
  return changed;
}

const ISO_UTC = `'YYYY-MM-DD"T"HH24:MI:SS"Z"'`;

/** The select list that gives rows back in Strava's summary shape. */
const SELECT_SUMMARY = `
  id::text as id, athlete_id::text as athlete_id, name, type, sport_type,
  to_char(start_date at time zone 'UTC', ${ISO_UTC}) as start_date,
  to_char(start_date_local, ${ISO_UTC}) as start_date_local,
  timezone, distance, moving_time, elapsed_time, total_elevation_gain, average_speed, max_speed,
  average_heartrate, max_heartrate, average_watts, weighted_average_watts, kilojoules,
  device_watts, has_heartrate, average_cadence`;

type Row = Record<string, unknown> & { id: string; athlete_id: string };

/** A stored activity in Strava's summary shape (nulls dropped, like Strava omits absent fields). */
export type ActivityJson = StravaActivitySummary;

function fromRow(row: Row): ActivityJson {
  const out: Record<string, unknown> = { id: Number(row.id), athlete: { id: Number(row.athlete_id) } };
  for (const [k, v] of Object.entries(row)) {
    if (k === 'id' || k === 'athlete_id' || v === null) continue;
    out[k] = v;
  }
  return out as ActivityJson;
}

/** Every activity of the athlete visible to `db`'s role, newest first. */
export async function listStoredActivities(db: Queryable, athleteId: number): Promise<ActivityJson[]> {
  const { rows } = await db.query<Row>(
    `select ${SELECT_SUMMARY} from public.activities where athlete_id = $1 order by start_date desc, id desc`,
    [athleteId],
  );
  return rows.map(fromRow);
}

/** Ids of the athlete's stored activities that started in [after, before) (unix seconds). */
export async function storedIdsBetween(db: Queryable, athleteId: number, after: number, before: number): Promise<number[]> {
  const { rows } = await db.query<{ id: string }>(
    `select id::text as id from public.activities
     where athlete_id = $1 and start_date > to_timestamp($2) and start_date < to_timestamp($3)`,
    [athleteId, after, before],
  );
  return rows.map((r) => Number(r.id));
}

export async function deleteActivities(db: Queryable, athleteId: number, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const res = await db.query('delete from public.activities where athlete_id = $1 and id = any($2::bigint[])', [
    athleteId,
    ids.map(String),
  ]);
  return res.rowCount;
}
