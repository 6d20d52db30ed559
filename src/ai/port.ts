/**
 * The Ai port: what `ai-brief` needs to turn training numbers into a short daily brief.
 * Implemented offline (deterministic, no network) and by an OpenAI-compatible client.
 */
export interface BriefRide {
  name: string;
  /** YYYY-MM-DD (UTC). */
  date: string;
  tss: number;
  moving_time_min: number;
  /** Normalized power when known. */
  weighted_average_watts?: number | null;
  average_watts?: number | null;
  average_heartrate?: number | null;
  distance_km?: number;
  sport_type?: string;
}

export interface BriefInput {
  athleteId: number | string;
  /** The auth user id; with `date` it seeds the phrasing when present, else `athleteId` does. */
  userId?: string;
  firstName?: string | null;
  /** YYYY-MM-DD the brief is for. */
  date: string;
  ftp: number | null;
  ctl: number;
  atl: number;
  tsb: number;
  /** TSS of the last 7 days. */
  week_tss?: number;
  /** Days since the last activity (0 = today). */
  days_since_last?: number | null;
  /** Consecutive days with an activity, up to today. */
  days_since_rest?: number | null;
  /** Resting heart rate now minus its usual (bpm; positive = elevated). */
  resting_hr_trend?: number | null;
  /** Newest first. */
  last_rides: BriefRide[];
}

export interface BriefOutput {
  text: string;
  model: string;
  promptVersion: string;
}

export interface Ai {
  /** The prompt version this implementation writes; part of the brief's cache key. */
  readonly promptVersion: string;
  readonly model: string;
  brief(input: BriefInput): Promise<BriefOutput>;
}
