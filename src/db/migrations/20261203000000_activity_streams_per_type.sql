-- activity_streams as production has it (reference section 4): one row per stream type, `data` the
-- stream's array of values. Existing rows (one per activity, Strava's key_by_type object in
-- `streams`) become one row per stream. A stored row whose activity belongs to another athlete
-- was written by a tenant about someone else's activity (issue 15 §2): it is a cache entry, not
-- data, so it is not carried over (the owner's next read fetches from Strava again).
-- The reference's index names on activities replace ours (docs/SCHEMA.md lists the differences).

alter index public.activities_athlete_start_date_idx rename to idx_activities_athlete_date;
create index idx_activities_type on public.activities (type);

alter table public.activity_streams rename to activity_streams_by_activity;
alter table public.activity_streams_by_activity rename constraint activity_streams_pkey to activity_streams_by_activity_pkey;

create table public.activity_streams (
  id uuid primary key default gen_random_uuid(),
  activity_id bigint not null references public.activities(id) on delete cascade,
  athlete_id bigint not null references public.athletes(id) on delete cascade,
  stream_type text not null,
  data jsonb not null,
  series_type text,
  original_size integer,
  resolution text,
  cached_at timestamptz not null default now(),
  expires_at timestamptz
);

insert into public.activity_streams (activity_id, athlete_id, stream_type, data, series_type, original_size, resolution, cached_at, expires_at)
select o.activity_id, o.athlete_id, s.key,
       case when jsonb_typeof(s.value) = 'object' then coalesce(s.value -> 'data', '[]'::jsonb) else s.value end,
       case when jsonb_typeof(s.value -> 'series_type') = 'string' then s.value ->> 'series_type' end,
       case when jsonb_typeof(s.value -> 'original_size') = 'number'
             and (s.value ->> 'original_size')::numeric between 0 and 2147483647
            then (s.value ->> 'original_size')::numeric::integer end,
       case when jsonb_typeof(s.value -> 'resolution') = 'string' then s.value ->> 'resolution' end,
       o.created_at, o.expires_at
  from public.activity_streams_by_activity o
  join public.activities a on a.id = o.activity_id and a.athlete_id = o.athlete_id
  cross join lateral jsonb_each(case when jsonb_typeof(o.streams) = 'object' then o.streams else '{}'::jsonb end) as s(key, value);

drop table public.activity_streams_by_activity;

-- The reference's cache-lookup index, unique: one row per (activity, stream type), the upsert's target.
create unique index idx_streams_activity on public.activity_streams (activity_id, stream_type);
create index idx_streams_expiry on public.activity_streams (expires_at);
-- Deleting an athlete cascades here by athlete_id: without this index, one scan per athlete.
create index activity_streams_athlete_id_idx on public.activity_streams (athlete_id);

alter table public.activity_streams enable row level security;

-- The row's athlete is the caller's, and so is the activity it points at (a stream row for
-- another tenant's activity would break that tenant's reads: issue 15 §2).
create policy activity_streams_select_own on public.activity_streams
  for select to authenticated
  using (athlete_id in (select id from public.athletes where user_id = (select auth.uid()))
    and exists (select 1 from public.activities a where a.id = activity_streams.activity_id and a.athlete_id = activity_streams.athlete_id));
create policy activity_streams_insert_own on public.activity_streams
  for insert to authenticated
  with check (athlete_id in (select id from public.athletes where user_id = (select auth.uid()))
    and exists (select 1 from public.activities a where a.id = activity_streams.activity_id and a.athlete_id = activity_streams.athlete_id));
create policy activity_streams_update_own on public.activity_streams
  for update to authenticated
  using (athlete_id in (select id from public.athletes where user_id = (select auth.uid()))
    and exists (select 1 from public.activities a where a.id = activity_streams.activity_id and a.athlete_id = activity_streams.athlete_id))
  with check (athlete_id in (select id from public.athletes where user_id = (select auth.uid()))
    and exists (select 1 from public.activities a where a.id = activity_streams.activity_id and a.athlete_id = activity_streams.athlete_id));
create policy activity_streams_delete_own on public.activity_streams
  for delete to authenticated
  using (athlete_id in (select id from public.athletes where user_id = (select auth.uid()))
    and exists (select 1 from public.activities a where a.id = activity_streams.activity_id and a.athlete_id = activity_streams.athlete_id));

-- Explicit, so a database without Supabase's default privileges behaves the same.
grant select on public.activity_streams to anon;
grant select, insert, update, delete on public.activity_streams to authenticated, service_role;
