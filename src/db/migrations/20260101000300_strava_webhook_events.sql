-- Processed Strava webhook events (docs/SCHEMA.md): duplicate deliveries conflict on event_key.

create table public.strava_webhook_events (
  id bigserial primary key,
  event_key text not null unique,
  owner_id bigint not null,
  object_type text not null,
  object_id bigint not null,
  aspect_type text not null,
  updates jsonb not null default '{}'::jsonb,
  event_time timestamptz not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz
);

create index strava_webhook_events_owner_id_idx on public.strava_webhook_events (owner_id);

alter table public.strava_webhook_events enable row level security;

create policy strava_webhook_events_select_own on public.strava_webhook_events
  for select to authenticated
  using (owner_id in (select id from public.athletes where user_id = (select auth.uid())));
