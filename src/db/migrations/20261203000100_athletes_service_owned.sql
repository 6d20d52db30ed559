-- Athletes belong to the service (issue 15 §1): only the service role (OAuth, seed) creates an
-- athlete row or sets its `id` (a Strava id) and `user_id`; otherwise a user could claim a
-- victim's Strava id before the victim connects. Users read their own row without the Strava
-- tokens (server-side secrets) and update only their profile. Column privileges, not only
-- policies: RLS cannot restrict columns.

drop policy athletes_insert_own on public.athletes;

revoke all on public.athletes from anon, authenticated;

grant select (id, user_id, firstname, lastname, city, country, sex, weight, profile, ftp, max_heartrate,
              resting_heartrate, fitness_level, strava_token_expires_at, strava_scope, deauthorized_at,
              created_at, updated_at)
  on public.athletes to anon, authenticated;
grant update (firstname, lastname, city, country, sex, weight, profile, ftp, max_heartrate,
              resting_heartrate, fitness_level, updated_at)
  on public.athletes to authenticated;
grant select, insert, update, delete on public.athletes to service_role;
