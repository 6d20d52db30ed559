-- Sessions and rotating refresh tokens (docs/SCHEMA.md). Written by the service role; users may read their own.

create table public.auth_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users(id) on delete cascade,
  athlete_id bigint references public.athletes(id) on delete cascade,
  created_at timestamptz not null default now(),
  last_refreshed_at timestamptz,
  revoked_at timestamptz,
  revoked_reason text
);

create index auth_sessions_user_id_idx on public.auth_sessions (user_id);

alter table public.auth_sessions enable row level security;

create policy auth_sessions_select_own on public.auth_sessions
  for select to authenticated
  using (user_id = (select auth.uid()));

create table public.refresh_tokens (
  id bigserial primary key,
  session_id uuid not null references public.auth_sessions(id) on delete cascade,
  user_id uuid not null,
  token_hash text not null unique,
  parent_id bigint references public.refresh_tokens(id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  rotated_at timestamptz,
  revoked_at timestamptz
);

create index refresh_tokens_session_id_idx on public.refresh_tokens (session_id);

alter table public.refresh_tokens enable row level security;

create policy refresh_tokens_select_own on public.refresh_tokens
  for select to authenticated
  using (user_id = (select auth.uid()));
