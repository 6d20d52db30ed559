import type { Queryable } from '../../db/sql.js';
import { trainingLoad, trainingStressScore } from '../../strava/metrics.js';

/** Days of history the load model reads: three CTL time constants make the start negligible. */
export const LOAD_HISTORY_DAYS = 126;
const DAY_MS = 86_400_000;
/** Without power or heart rate, an hour at endurance pace counts as this much TSS. */
const TSS_PER_HOUR_UNKNOWN = 50;
const DEFAULT_FTP = 200;

export interface RideSummary {
  id: number;
  name: string;
  sport_type: string;
  date: string;
  distance_km: number;
  moving_time_min: number;
  average_watts: number | null;
  weighted_average_watts: number | null;
  average_heartrate: number | null;
  tss: number;
}

export interface TrainingSnapshot {
  date: string;
  firstname: string | null;
  ftp: number | null;
  ctl: number;
  atl: number;
  tsb: number;
  /** TSS of the last 7 days. */
  week_tss: number;
  /** Days since the last activity (0 = today). */
  days_since_last: number | null;
  /** Consecutive days with an activity, up to today. */
  days_since_rest: number;
  last_rides: RideSummary[];
}

interface Row {
  id: string;
  name: string;
  sport_type: string;
  start_date: unknown;
  distance: number;
  moving_time: number;
  average_watts: number | null;
  weighted_average_watts: number | null;
  average_heartrate: number | null;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** TSS of one activity: from power when there is some, from heart rate, else from duration. */
export function activityTss(a: Row, ftp: number, maxHr: number | null): number {
  const seconds = Number(a.moving_time) || 0;
  const np = a.weighted_average_watts ?? a.average_watts;
  if (np && np > 0) return trainingStressScore(seconds, np, ftp);
  if (a.average_heartrate && maxHr) {
    const intensity = Math.min(1.2, a.average_heartrate / (maxHr * 0.9));
    return (seconds / 3600) * intensity * intensity * 100;
  }
  return (seconds / 3600) * TSS_PER_HOUR_UNKNOWN;
}

/**
 * The athlete's training load today (CTL/ATL/TSB from daily TSS over the last 126 days) and
 * last rides, read through `db` (run it as the caller so RLS scopes it).
 */
export async function trainingSnapshot(db: Queryable, athleteId: number, nowMs: number): Promise<TrainingSnapshot> {
  const today = dayOf(nowMs);
  const startMs = Date.parse(`${today}T00:00:00Z`) - (LOAD_HISTORY_DAYS - 1) * DAY_MS;
  const athlete = await db.query<{ ftp: number | null; max_heartrate: number | null; firstname: string | null }>(
    'select ftp, max_heartrate, firstname from public.athletes where id = $1',
    [athleteId],
  );
  const ftp = athlete.rows[0]?.ftp ?? null;
  const maxHr = athlete.rows[0]?.max_heartrate ?? null;
  const { rows } = await db.query<Row>(
    `select id::text as id, name, sport_type, start_date, distance, moving_time, average_watts, weighted_average_watts, average_heartrate
       from public.activities where athlete_id = $1 and start_date >= to_timestamp($2 / 1000.0) and start_date < to_timestamp($3 / 1000.0)
      order by start_date desc, id desc`,
    [athleteId, startMs, Date.parse(`${today}T00:00:00Z`) + DAY_MS],
  );
  const daily = new Map<string, number>();
  const rides: RideSummary[] = [];
  for (const r of rows) {
    const ms = new Date(r.start_date as string).getTime();
    const tss = activityTss(r, ftp ?? DEFAULT_FTP, maxHr);
    daily.set(dayOf(ms), (daily.get(dayOf(ms)) ?? 0) + tss);
    if (rides.length < 3) {
      rides.push({
        id: Number(r.id),
        name: r.name,
        sport_type: r.sport_type,
        date: dayOf(ms),
        distance_km: round1(r.distance / 1000),
        moving_time_min: Math.round(r.moving_time / 60),
        average_watts: r.average_watts === null ? null : Math.round(r.average_watts),
        weighted_average_watts: r.weighted_average_watts === null ? null : Math.round(r.weighted_average_watts),
        average_heartrate: r.average_heartrate === null ? null : Math.round(r.average_heartrate),
        tss: Math.round(tss),
      });
    }
  }
  const days = Array.from({ length: LOAD_HISTORY_DAYS }, (_, i) => {
    const date = dayOf(startMs + i * DAY_MS);
    return { date, tss: daily.get(date) ?? 0 };
  });
  const load = trainingLoad(days);
  const last = load[load.length - 1]!;
  const weekTss = load.slice(-7).reduce((s, d) => s + d.tss, 0);
  const lastRide = rides[0];
  let streak = 0;
  for (let i = days.length - 1; i >= 0 && days[i]!.tss > 0; i--) streak++;
  return {
    date: today,
    firstname: athlete.rows[0]?.firstname ?? null,
    days_since_rest: streak,
    ftp,
    ctl: round1(last.ctl),
    atl: round1(last.atl),
    tsb: round1(last.tsb),
    week_tss: Math.round(weekTss),
    days_since_last: lastRide ? Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${lastRide.date}T00:00:00Z`)) / DAY_MS) : null,
    last_rides: rides,
  };
}
