-- Backfill jobs with checkpoints (docs/SCHEMA.md): at most one live job per athlete.

create table public.backfill_jobs (
  id uuid primary key default gen_random_uuid(),
  athlete_id bigint not null references public.athletes(id) on delete cascade,
  status text not null check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  since timestamptz,
  until timestamptz,
  checkpoint jsonb not null default '{}'::jsonb,
  pages_fetched integer not null default 0,
  activities_upserted integer not null default 0,
  rate_limit_waits integer not null default 0,
  rate_limited_until timestamptz,
  error text,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now()
);

create unique index backfill_jobs_one_live_per_athlete on public.backfill_jobs (athlete_id)
  where status in ('queued', 'running');

alter table public.backfill_jobs enable row level security;

create policy backfill_jobs_select_own on public.backfill_jobs
  for select to authenticated
  using (athlete_id in (select id from public.athletes where user_id = (select auth.uid())));
