-- The seed's schema: athletes, activities, activity_streams (docs/SCHEMA.md).

create table public.athletes (
  id bigint primary key,
  user_id uuid not null unique references auth.users(id) on delete cascade,
  firstname text,
  lastname text,
  city text,
  country text,
  sex text,
  weight real,
  profile text,
  ftp integer,
  max_heartrate integer,
  resting_heartrate integer,
  fitness_level text,
  strava_access_token text,
  strava_refresh_token text,
  strava_token_expires_at timestamptz,
  strava_scope text,
  deauthorized_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

alter table public.athletes enable row level security;

create policy athletes_select_own on public.athletes
  for select to authenticated
  using (user_id = (select auth.uid()));
create policy athletes_insert_own on public.athletes
  for insert to authenticated
  with check (user_id = (select auth.uid()));
create policy athletes_update_own on public.athletes
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create table public.activities (
  id bigint primary key,
  athlete_id bigint not null references public.athletes(id) on delete cascade,
  name text not null,
  type text not null,
  sport_type text not null,
  start_date timestamptz not null,
  start_date_local timestamp not null,
  timezone text,
  distance double precision not null default 0,
  moving_time integer not null default 0,
  elapsed_time integer not null default 0,
  total_elevation_gain double precision not null default 0,
  average_speed double precision,
  max_speed double precision,
  average_heartrate double precision,
  max_heartrate double precision,
  average_watts double precision,
  weighted_average_watts double precision,
  kilojoules double precision,
  device_watts boolean not null default false,
  has_heartrate boolean not null default false,
  average_cadence double precision,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index activities_athlete_start_date_idx on public.activities (athlete_id, start_date desc);

alter table public.activities enable row level security;

create policy activities_select_own on public.activities
  for select to authenticated
  using (athlete_id in (select id from public.athletes where user_id = (select auth.uid())));
create policy activities_insert_own on public.activities
  for insert to authenticated
  with check (athlete_id in (select id from public.athletes where user_id = (select auth.uid())));
create policy activities_update_own on public.activities
  for update to authenticated
  using (athlete_id in (select id from public.athletes where user_id = (select auth.uid())))
  with check (athlete_id in (select id from public.athletes where user_id = (select auth.uid())));
create policy activities_delete_own on public.activities
  for delete to authenticated
  using (athlete_id in (select id from public.athletes where user_id = (select auth.uid())));

create table public.activity_streams (
  activity_id bigint primary key references public.activities(id) on delete cascade,
  athlete_id bigint not null references public.athletes(id) on delete cascade,
  streams jsonb not null,
  expires_at timestamptz,
  created_at timestamptz not null default now()
);

create index activity_streams_athlete_id_idx on public.activity_streams (athlete_id);
create index activity_streams_expires_at_idx on public.activity_streams (expires_at);

alter table public.activity_streams enable row level security;

create policy activity_streams_select_own on public.activity_streams
  for select to authenticated
  using (athlete_id in (select id from public.athletes where user_id = (select auth.uid())));
create policy activity_streams_insert_own on public.activity_streams
  for insert to authenticated
  with check (athlete_id in (select id from public.athletes where user_id = (select auth.uid())));
create policy activity_streams_update_own on public.activity_streams
  for update to authenticated
  using (athlete_id in (select id from public.athletes where user_id = (select auth.uid())))
  with check (athlete_id in (select id from public.athletes where user_id = (select auth.uid())));
create policy activity_streams_delete_own on public.activity_streams
  for delete to authenticated
  using (athlete_id in (select id from public.athletes where user_id = (select auth.uid())));
