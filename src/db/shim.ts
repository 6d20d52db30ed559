import { readFileSync } from 'node:fs';
import { authShimPath } from './paths.js';
import type { Queryable } from './sql.js';

const SHIM_MARKER = 'veloready local auth shim';

/**
 * - `supabase`: a real Supabase database (its auth.users plus its migration bookkeeping): never touched.
 * - `shim`: our shim is already there.
 * - `foreign`: some other `auth.users` exists: left alone.
 * - `absent`: no auth schema: the shim is needed.
 */
export type AuthState = 'supabase' | 'shim' | 'foreign' | 'absent';

export async function detectAuth(q: Queryable): Promise<AuthState> {
  const { rows } = await q.query<{ users: boolean; supabase: boolean; marker: string | null }>(
    `select to_regclass('auth.users') is not null as users,
            (to_regnamespace('supabase_migrations') is not null
              or to_regclass('auth.schema_migrations') is not null) as supabase,
            obj_description(to_regnamespace('auth'), 'pg_namespace') as marker`,
  );
  const row = rows[0]!;
  if (row.users && row.supabase) return 'supabase';
  if (row.marker?.startsWith(SHIM_MARKER)) return 'shim';
  if (row.users) return 'foreign';
  return 'absent';
}

export function authShimScript(): string {
  return readFileSync(authShimPath(), 'utf8');
}

/** Applies the shim when the database has no auth schema; returns what it found. */
export async function ensureAuthShim(tx: Queryable): Promise<{ state: AuthState; applied: boolean }> {
  const state = await detectAuth(tx);
  if (state !== 'absent') return { state, applied: false };
  await tx.exec(authShimScript());
  return { state, applied: true };
}
