-- Activities and stream rows keep the keys the service gave them (issue 15 §1, §3): an activity's
-- id is Strava's, so only the service role (sync, webhook, backfill, seed) creates activities; a
-- user may edit an activity's own fields but never its id or athlete, nor re-key a stream row.
-- Column privileges, not only policies: RLS cannot restrict columns.

drop policy activities_insert_own on public.activities;
revoke insert, update on public.activities from anon, authenticated;
grant update (name, type, sport_type, start_date, start_date_local, timezone, distance, moving_time, elapsed_time,
              total_elevation_gain, average_speed, max_speed, average_heartrate, max_heartrate, average_watts,
              weighted_average_watts, kilojoules, device_watts, has_heartrate, average_cadence, updated_at)
  on public.activities to authenticated;

revoke update on public.activity_streams from anon, authenticated;
grant update (stream_type, data, series_type, original_size, resolution, cached_at, expires_at)
  on public.activity_streams to authenticated;

-- The per-type streams table was created while its predecessor still held the natural foreign-key
-- names; give them back, so `db diff` against production names what differs and nothing else.
alter table public.activity_streams rename constraint activity_streams_activity_id_fkey1 to activity_streams_activity_id_fkey;
alter table public.activity_streams rename constraint activity_streams_athlete_id_fkey1 to activity_streams_athlete_id_fkey;
