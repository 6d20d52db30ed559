import { emailForAthlete, userIdForAthlete } from '../../auth/user-id.js';
import type { Sql } from '../../db/sql.js';
import type { StravaAthlete, StravaTokenResponse } from '../../strava/port.js';
import { HttpError } from './http.js';

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const intOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : null);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export interface StravaSignIn {
  userId: string;
  email: string;
  /**
   * The user that held the athlete row before this sign-in, when another one did (a row claimed
   * before the real athlete connected): the row now belongs to `userId`, whose Strava exchange
   * proved it; the caller revokes that user's sessions.
   */
  previousOwner: string | null;
}

/**
 * One transaction, as the service: the auth user `strava-{id}@veloready.app` (stable id from the
 * athlete id), the athlete's profile and its Strava tokens. A returning athlete is updated and
 * re-authorized; a row held by another user is re-owned (the exchange is the proof).
 */
export async function upsertStravaSignIn(
  sql: Sql,
  athlete: StravaAthlete,
  tokens: StravaTokenResponse,
  scope: string | null,
  nowMs: number,
): Promise<StravaSignIn> {
  const userId = userIdForAthlete(athlete.id);
  const email = emailForAthlete(athlete.id);
  const now = new Date(nowMs).toISOString();
  const appMeta = JSON.stringify({ provider: 'strava', providers: ['strava'], athlete_id: athlete.id });
  const previousOwner = await sql.transaction(async (tx) => {
    await tx.query(
      `insert into auth.users (id, email, raw_app_meta_data, raw_user_meta_data, email_confirmed_at, last_sign_in_at, created_at, updated_at)
       values ($1, $2, $3::jsonb, $4::jsonb, $5, $5, $5, $5)
       on conflict (id) do update set email = excluded.email, raw_app_meta_data = excluded.raw_app_meta_data,
         last_sign_in_at = excluded.last_sign_in_at, updated_at = excluded.updated_at`,
      [userId, email, appMeta, JSON.stringify({ firstname: athlete.firstname, lastname: athlete.lastname }), now],
    );
    const held = await tx.query<{ id: string; user_id: string }>(
      `select id::text as id, user_id::text as user_id from public.athletes where id = $1 or user_id = $2 for update`,
      [athlete.id, userId],
    );
    const other = held.rows.find((r) => r.id !== String(athlete.id));
    if (other) {
      throw new HttpError(409, 'ATHLETE_CONFLICT', `This sign-in's user already holds athlete ${other.id}; an operator must resolve it`);
    }
    const owner = held.rows[0]?.user_id ?? null;
    await tx.query(
      `insert into public.athletes (id, user_id, firstname, lastname, city, country, sex, weight, profile, ftp,
         strava_access_token, strava_refresh_token, strava_token_expires_at, strava_scope, deauthorized_at, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, to_timestamp($13), $14, null, $15, $15)
       on conflict (id) do update set user_id = excluded.user_id, firstname = excluded.firstname, lastname = excluded.lastname, city = excluded.city,
         country = excluded.country, sex = excluded.sex, weight = excluded.weight, profile = excluded.profile,
         ftp = coalesce(excluded.ftp, athletes.ftp),
         strava_access_token = excluded.strava_access_token, strava_refresh_token = excluded.strava_refresh_token,
         strava_token_expires_at = excluded.strava_token_expires_at,
         strava_scope = coalesce(excluded.strava_scope, athletes.strava_scope),
         deauthorized_at = null, updated_at = excluded.updated_at`,
      [
        athlete.id, userId, strOrNull(athlete.firstname), strOrNull(athlete.lastname), strOrNull(athlete.city),
        strOrNull(athlete.country), strOrNull(athlete.sex), numOrNull(athlete.weight), strOrNull(athlete.profile),
        intOrNull(athlete['ftp']), tokens.access_token, tokens.refresh_token, tokens.expires_at, scope, now,
      ],
    );
    return owner !== null && owner !== userId ? owner : null;
  });
  return { userId, email, previousOwner };
}
