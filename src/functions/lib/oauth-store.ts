import { emailForAthlete, userIdForAthlete } from '../../auth/user-id.js';
import type { Sql } from '../../db/sql.js';
import type { StravaAthlete, StravaTokenResponse } from '../../strava/port.js';

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const intOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : null);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * One transaction, as the service: the auth user `strava-{id}@veloready.app` (stable id from the
 * athlete id), the athlete's profile and its Strava tokens. A returning athlete is updated and
 * re-authorized.
 */
export async function upsertStravaSignIn(
  sql: Sql,
  athlete: StravaAthlete,
  tokens: StravaTokenResponse,
  scope: string | null,
  nowMs: number,
): Promise<{ userId: string; email: string }> {
  const userId = userIdForAthlete(athlete.id);
  const email = emailForAthlete(athlete.id);
  const now = new Date(nowMs).toISOString();
  const appMeta = JSON.stringify({ provider: 'strava', providers: ['strava'], athlete_id: athlete.id });
  await sql.transaction(async (tx) => {
    await tx.query(
      `insert into auth.users (id, email, raw_app_meta_data, raw_user_meta_data, email_confirmed_at, last_sign_in_at, created_at, updated_at)
       values ($1, $2, $3::jsonb, $4::jsonb, $5, $5, $5, $5)
       on conflict (id) do update set email = excluded.email, raw_app_meta_data = excluded.raw_app_meta_data,
         last_sign_in_at = excluded.last_sign_in_at, updated_at = excluded.updated_at`,
      [userId, email, appMeta, JSON.stringify({ firstname: athlete.firstname, lastname: athlete.lastname }), now],
    );
    await tx.query(
      `insert into public.athletes (id, user_id, firstname, lastname, city, country, sex, weight, profile, ftp,
         strava_access_token, strava_refresh_token, strava_token_expires_at, strava_scope, deauthorized_at, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, to_timestamp($13), $14, null, $15, $15)
       on conflict (id) do update set firstname = excluded.firstname, lastname = excluded.lastname, city = excluded.city,
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
  });
  return { userId, email };
}
