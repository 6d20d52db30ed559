import type { SupabaseClient } from '@supabase/supabase-js';
import { emailForAthlete, userIdForAthlete } from '../auth/user-id.js';
import { VeloError } from '../errors.js';
import type { FakeAthlete } from '../strava/generator.js';
import { mapLimit } from '../util/limiter.js';

const LIST_PAGE_SIZE = 1000;
const CREATE_CONCURRENCY = 8;

export interface SupabaseUsersResult {
  created: number;
  existing: number;
}

function apiError(what: string, url: string, error: { message: string; status?: number }): VeloError {
  const status = error.status ?? 0;
  return new VeloError(
    status === 401 || status === 403 ? 'SUPABASE_FORBIDDEN' : 'SUPABASE_ADMIN_FAILED',
    `${what} at ${url} failed${status ? ` (${status})` : ''}: ${error.message}`,
    status === 401 || status === 403 ? 'SUPABASE_SERVICE_ROLE_KEY must be the project\'s service-role key' : undefined,
  );
}

export async function adminClient(url: string, serviceRoleKey: string): Promise<SupabaseClient> {
  const { createClient } = await import('@supabase/supabase-js');
  return createClient(url, serviceRoleKey, { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } });
}

/** Every user of the project, through the Admin API's pages. */
async function allUsers(client: SupabaseClient, url: string): Promise<Array<{ id: string; app_metadata: Record<string, unknown> }>> {
  const users: Array<{ id: string; app_metadata: Record<string, unknown> }> = [];
  for (let page = 1; ; page++) {
    const { data, error } = await client.auth.admin.listUsers({ page, perPage: LIST_PAGE_SIZE });
    if (error) throw apiError('listing users', url, error);
    users.push(...data.users);
    if (data.users.length < LIST_PAGE_SIZE) return users;
  }
}

/**
 * Creates the seeded athletes' auth users through Supabase's Admin API (a managed project's
 * `auth` schema is its Auth server's to write), with the same ids `token mint --athlete` derives.
 * Users that already exist are left alone, so a second run creates nothing.
 */
export async function ensureSupabaseUsers(
  client: SupabaseClient,
  url: string,
  athletes: readonly FakeAthlete[],
  seed: string,
  onProgress?: (done: number, total: number) => void,
): Promise<SupabaseUsersResult> {
  const known = new Set((await allUsers(client, url)).map((u) => u.id));
  const missing = athletes.filter((a) => !known.has(userIdForAthlete(a.profile.id)));
  let done = 0;
  await mapLimit(missing, CREATE_CONCURRENCY, async (a) => {
    const id = a.profile.id;
    const { error } = await client.auth.admin.createUser({
      id: userIdForAthlete(id),
      email: emailForAthlete(id),
      email_confirm: true,
      app_metadata: { provider: 'strava', providers: ['strava'], athlete_id: id, seeded: true, seed },
      user_metadata: { full_name: `${a.profile.firstname} ${a.profile.lastname}`, avatar_url: a.profile.profile },
    });
    if (error && (error as { code?: string }).code !== 'email_exists' && (error as { code?: string }).code !== 'user_already_exists') {
      throw apiError(`creating user ${emailForAthlete(id)}`, url, error);
    }
    onProgress?.(++done, missing.length);
  });
  return { created: missing.length, existing: athletes.length - missing.length };
}

/** `seed --supabase --reset`: deletes the users earlier seeds created (their rows go by cascade). */
export async function deleteSeededSupabaseUsers(client: SupabaseClient, url: string): Promise<number> {
  const seeded = (await allUsers(client, url)).filter((u) => u.app_metadata?.seeded === true);
  await mapLimit(seeded, CREATE_CONCURRENCY, async (u) => {
    const { error } = await client.auth.admin.deleteUser(u.id);
    if (error) throw apiError(`deleting user ${u.id}`, url, error);
  });
  return seeded.length;
}
