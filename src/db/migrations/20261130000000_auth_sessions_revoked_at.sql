-- Access-token checks read recent revocations every few seconds (src/functions/lib/revocations.ts):
-- an index on the revoked sessions alone keeps that read small as the table grows.
create index auth_sessions_revoked_at_idx on public.auth_sessions (revoked_at) where revoked_at is not null;
