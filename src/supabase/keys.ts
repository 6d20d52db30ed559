import type { Clock } from '../clock.js';
import { signJwt, verifyAccessToken } from '../auth/jwt.js';

/** Issuer of the local keys, as in Supabase's local development keys. */
export const LOCAL_KEY_ISSUER = 'supabase-demo';
/** Fixed expiry of the local keys (the one Supabase's own demo keys carry, 2032-11-12). */
export const LOCAL_KEY_EXP = 1983812996;

export interface LocalKeys {
  anonKey: string;
  serviceRoleKey: string;
}

/**
 * The local anon and service-role keys: JWTs signed with the local secret, shaped like Supabase's
 * local keys. Deterministic per secret, so they survive restarts.
 */
export function localKeys(secret: string): LocalKeys {
  return {
    anonKey: signJwt({ iss: LOCAL_KEY_ISSUER, role: 'anon', exp: LOCAL_KEY_EXP }, secret),
    serviceRoleKey: signJwt({ iss: LOCAL_KEY_ISSUER, role: 'service_role', exp: LOCAL_KEY_EXP }, secret),
  };
}

/** Whether `key` is a project API key (an anon or service_role JWT signed with the secret), as Kong checks. */
export function isProjectKey(key: string, secret: string, clock: Clock): boolean {
  try {
    const { role } = verifyAccessToken(key, { secret, clock });
    return role === 'anon' || role === 'service_role';
  } catch {
    return false;
  }
}
