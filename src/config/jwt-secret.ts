import { resolve } from 'node:path';
import { assertSecretStrength, loadOrCreateLocalSecret, type JwtSecret } from '../auth/secret.js';
import type { ResolvedConfig } from './config.js';

/** --secret > SUPABASE_JWT_SECRET > .env > the data dir's local secret (created on first use). */
export async function resolveJwtSecret(config: ResolvedConfig, cwd = process.cwd()): Promise<JwtSecret> {
  const value = config.get('jwtSecret');
  const source = config.source('jwtSecret');
  if (value !== undefined && source !== undefined && source !== 'default') {
    assertSecretStrength(value, source === 'flag' ? '--secret' : 'SUPABASE_JWT_SECRET');
    return { value, source };
  }
  const dataDir = resolve(cwd, config.get('dataDir')!);
  return { value: await loadOrCreateLocalSecret(dataDir), source: 'data-dir' };
}
