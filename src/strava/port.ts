/**
 * The Strava port: what handlers need from Strava API v3. Implemented by the undici client
 * (real Strava or the fake server, by base URL). Shapes are Strava's own JSON.
 */
export interface StravaAthlete {
  id: number;
  firstname: string;
  lastname: string;
  city: string | null;
  country: string | null;
  sex: 'M' | 'F' | null;
  weight: number | null;
  profile: string;
  profile_medium?: string;
  created_at?: string;
  updated_at?: string;
  [extra: string]: unknown;
}

export interface StravaActivitySummary {
  id: number;
  athlete: { id: number };
  name: string;
  type: string;
  sport_type: string;
  start_date: string;
  start_date_local: string;
  timezone: string;
  distance: number;
  moving_time: number;
  elapsed_time: number;
  total_elevation_gain: number;
  average_speed: number;
  max_speed: number;
  average_heartrate?: number;
  max_heartrate?: number;
  average_watts?: number;
  weighted_average_watts?: number;
  kilojoules?: number;
  device_watts?: boolean;
  has_heartrate: boolean;
  average_cadence?: number;
  [extra: string]: unknown;
}

export type StreamKey =
  | 'time' | 'distance' | 'latlng' | 'altitude' | 'velocity_smooth'
  | 'heartrate' | 'cadence' | 'watts' | 'moving' | 'grade_smooth';

export interface StravaStream {
  type?: StreamKey;
  data: unknown[];
  series_type: 'time' | 'distance';
  original_size: number;
  resolution: 'low' | 'medium' | 'high';
}

/** `key_by_type=true` shape. */
export type StravaStreamSet = Partial<Record<StreamKey, StravaStream>>;

export interface StravaTokenResponse {
  token_type: 'Bearer';
  access_token: string;
  refresh_token: string;
  expires_at: number;
  expires_in: number;
  athlete?: StravaAthlete;
}

/** Tokens the client holds for one athlete; `onRefresh` persists rotated tokens. */
export interface StravaCredentials {
  accessToken: string;
  refreshToken: string;
  /** Unix seconds. */
  expiresAt: number;
  onRefresh?: (tokens: StravaTokenResponse) => Promise<void> | void;
}

export interface ListActivitiesParams {
  /** Unix seconds. */
  before?: number;
  /** Unix seconds. */
  after?: number;
  page?: number;
  perPage?: number;
}

/** What the rate limiter knows, for progress displays (`rate-limit waits`). */
export interface RateLimitEvent {
  waitMs: number;
  /** The window that imposed the wait ('15min' / 'daily': used up, or spacing requests once mostly used). */
  reason: '15min' | 'daily' | '429';
  /** Epoch ms when the wait ends: the window's reset, or the next spaced slot. */
  resetsAt: number;
}

export interface Strava {
  exchangeCode(code: string): Promise<StravaTokenResponse>;
  refreshToken(refreshToken: string): Promise<StravaTokenResponse>;
  deauthorize(accessToken: string): Promise<void>;
  getAthlete(creds: StravaCredentials): Promise<StravaAthlete>;
  listActivities(creds: StravaCredentials, params: ListActivitiesParams): Promise<StravaActivitySummary[]>;
  getActivity(creds: StravaCredentials, id: number): Promise<StravaActivitySummary>;
  getStreams(creds: StravaCredentials, id: number, keys: readonly StreamKey[]): Promise<StravaStreamSet>;
}
