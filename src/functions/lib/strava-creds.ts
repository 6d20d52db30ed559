import type { Clock } from '../../clock.js';
import type { Queryable } from '../../db/sql.js';
import type { StravaCredentials, StravaTokenResponse } from '../../strava/port.js';
import { HttpError } from './http.js';

interface TokenRow {
  strava_access_token: string | null;
  strava_refresh_token: string | null;
  expires_at: string | null;
  deauthorized_at: string | null;
}

/** Saves tokens Strava rotated, so the next request does not refresh again. */
export async function saveStravaTokens(db: Queryable, athleteId: number, t: StravaTokenResponse, nowMs: number): Promise<void> {
  await db.query(
    `update public.athletes set strava_access_token = $2, strava_refresh_token = $3,
       strava_token_expires_at = to_timestamp($4), updated_at = $5 where id = $1`,
    [athleteId, t.access_token, t.refresh_token, t.expires_at, new Date(nowMs).toISOString()],
  );
}

/**
 * The athlete's Strava credentials, read with the service connection (tokens are server-side
 * secrets), or undefined when the athlete has none or revoked access.
 */
export async function stravaCredentials(db: Queryable, athleteId: number, clock: Clock): Promise<StravaCredentials | undefined> {
  const { rows } = await db.query<TokenRow>(
    `select strava_access_token, strava_refresh_token, deauthorized_at,
       extract(epoch from strava_token_expires_at)::bigint::text as expires_at
     from public.athletes where id = $1`,
    [athleteId],
  );
  const row = rows[0];
  if (!row || row.deauthorized_at || !row.strava_access_token || !row.strava_refresh_token) return undefined;
  return {
    accessToken: row.strava_access_token,
    refreshToken: row.strava_refresh_token,
    expiresAt: row.expires_at ? Number(row.expires_at) : 0,
    onRefresh: (tokens) => saveStravaTokens(db, athleteId, tokens, clock.now()),
  };
}

/** Like stravaCredentials, but a missing connection is the client's 409. */
export async function requireStravaCredentials(db: Queryable, athleteId: number, clock: Clock): Promise<StravaCredentials> {
  const creds = await stravaCredentials(db, athleteId, clock);
  if (!creds) {
    throw new HttpError(409, 'STRAVA_NOT_CONNECTED', `Athlete ${athleteId} has no Strava connection; sign in with Strava again`);
  }
  return creds;
}
