import type { CommandContext } from '../cli/context.js';
import { resolveJwtSecret } from '../config/jwt-secret.js';
import { siteTarget } from '../ops/target.js';
import { localKeys } from './keys.js';

export interface SupabaseConnectionInfo {
  /** SUPABASE_URL for supabase-js: the site as every command resolves it (--url > VELOREADY_API_URL > running serve > default). */
  url: string;
  /** Where `url` came from. */
  urlFrom: string;
  anonKey: string;
  serviceRoleKey: string;
  /** Where the signing secret came from (the secret itself is never shown). */
  secretSource: string;
}

/** What `veloready keys` prints: the URL and the anon / service-role keys for `serve`'s Supabase subset. */
export async function supabaseConnectionInfo(ctx: CommandContext): Promise<SupabaseConnectionInfo> {
  const secret = await resolveJwtSecret(ctx.config);
  const { anonKey, serviceRoleKey } = localKeys(secret.value);
  const site = siteTarget(ctx);
  return { url: site.url, urlFrom: site.from, anonKey, serviceRoleKey, secretSource: secret.source };
}
