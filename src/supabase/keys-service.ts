import type { CommandContext } from '../cli/context.js';
import { resolveJwtSecret } from '../config/jwt-secret.js';
import { localKeys } from './keys.js';

export interface SupabaseConnectionInfo {
  /** SUPABASE_URL for supabase-js: the running (or default) `serve` address. */
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  /** Where the signing secret came from (the secret itself is never shown). */
  secretSource: string;
}

/** What `veloready keys` prints: the URL and the anon / service-role keys for `serve`'s Supabase subset. */
export async function supabaseConnectionInfo(ctx: CommandContext): Promise<SupabaseConnectionInfo> {
  const secret = await resolveJwtSecret(ctx.config);
  const { anonKey, serviceRoleKey } = localKeys(secret.value);
  const url = String(ctx.config.get('apiUrl')).replace(/\/+$/, '');
  return { url, anonKey, serviceRoleKey, secretSource: secret.source };
}
