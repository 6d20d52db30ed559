import type { ResolvedConfig } from '../config/config.js';
import { VeloError } from '../errors.js';

export interface RemoteUser {
  id: string;
  email?: string;
  role?: string;
  app_metadata?: Record<string, unknown>;
}

/**
 * Asks the Supabase project itself whether it accepts the token (`auth.getUser(jwt)`), so an
 * operator can tell "our secret is wrong" from "Supabase revoked the session".
 */
export async function verifyWithSupabase(config: ResolvedConfig, token: string): Promise<RemoteUser> {
  const url = config.get('supabaseUrl');
  const apiKey = config.get('supabaseAnonKey') ?? config.get('supabaseServiceRoleKey');
  if (!url || !apiKey) {
    throw new VeloError(
      'SUPABASE_NOT_CONFIGURED',
      `--remote needs ${!url ? 'SUPABASE_URL' : 'SUPABASE_ANON_KEY or SUPABASE_SERVICE_ROLE_KEY'}`,
      'set it in the environment or .env (veloready keys prints the local ones)',
    );
  }
  const { createClient } = await import('@supabase/supabase-js');
  // auth-js prints a failed fetch's whole stack with console.error before returning its error:
  // the network failure is caught here instead and reported as one line below.
  let unreachable: Error | undefined;
  const fetchQuietly: typeof fetch = async (input, init) => {
    try {
      return await fetch(input, init);
    } catch (err) {
      unreachable = err instanceof Error ? err : new Error(String(err));
      return new Response(JSON.stringify({ message: 'unreachable' }), { status: 503, headers: { 'content-type': 'application/json' } });
    }
  };
  const client = createClient(url, apiKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: fetchQuietly },
  });
  const { data, error } = await client.auth.getUser(token);
  if (unreachable) {
    const cause = (unreachable.cause as { message?: string; code?: string } | undefined) ?? {};
    const detail = cause.code ?? cause.message ?? unreachable.message;
    throw new VeloError('SUPABASE_UNREACHABLE', `could not reach Supabase at ${url}: ${detail}`, 'check SUPABASE_URL and your network');
  }
  if (error || !data.user) {
    const status = (error as { status?: number } | null)?.status;
    if (!status) {
      throw new VeloError('SUPABASE_UNREACHABLE', `could not reach Supabase at ${url}: ${error?.message ?? 'no answer'}`, 'check SUPABASE_URL and your network');
    }
    throw new VeloError('REMOTE_REJECTED', `Supabase at ${url} rejected the token (${status}): ${error?.message}`, 'the session may be revoked or the token signed with another secret');
  }
  return data.user as RemoteUser;
}
