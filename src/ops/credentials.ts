import { decodeJwt, mintAccessToken, verifyAccessToken } from '../auth/jwt.js';
import type { CommandContext } from '../cli/context.js';
import { systemClock, type Clock } from '../clock.js';
import { resolveJwtSecret } from '../config/jwt-secret.js';
import { isVeloError, usageError, VeloError } from '../errors.js';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const OPERATOR_TTL_S = 3600;

export const isLocalUrl = (url: string): boolean => LOCAL_HOSTS.has(new URL(url).hostname);

/**
 * The secret that signs tokens for a site: the configured one (flag, env, .env); for a local
 * serve, the data dir's secret too. A remote site without one is a clear one-line error.
 */
export async function siteSecret(ctx: CommandContext, url: string): Promise<string> {
  const source = ctx.config.source('jwtSecret');
  if (source && source !== 'default') return (await resolveJwtSecret(ctx.config)).value;
  if (isLocalUrl(url)) return (await resolveJwtSecret(ctx.config)).value;
  throw new VeloError(
    'JWT_SECRET_MISSING',
    `no JWT secret to sign tokens for ${url}`,
    'set SUPABASE_JWT_SECRET to the site\'s JWT secret (Supabase → Settings → API), or pass --token',
  );
}

/**
 * `--token`, or a service_role token minted from the site's secret. A given token is checked
 * before it is sent: a JWT of role service_role, and signed with `--secret` / SUPABASE_JWT_SECRET
 * when one is set (a mismatch would only come back as the site's 401).
 */
export async function operatorToken(ctx: CommandContext, url: string, clock: Clock = systemClock): Promise<string> {
  const given = ctx.opts.token as string | undefined;
  if (given !== undefined) {
    checkGivenToken(ctx, given, clock);
    return given;
  }
  const secret = await siteSecret(ctx, url);
  return mintAccessToken({ secret, clock, role: 'service_role', ttlSeconds: OPERATOR_TTL_S }).token;
}

function checkGivenToken(ctx: CommandContext, token: string, clock: Clock): void {
  let role: unknown;
  try {
    role = decodeJwt(token).claims.role;
  } catch (err) {
    throw usageError('TOKEN_MALFORMED', `--token is not a JWT (${isVeloError(err) ? err.message : 'unreadable'})`, 'pass a service_role token, or leave --token out to mint one from the JWT secret');
  }
  if (role !== 'service_role') {
    throw usageError('TOKEN_NOT_OPERATOR', `--token has role ${JSON.stringify(role)}; operator calls need role service_role`, 'mint one: veloready token mint --role service_role');
  }
  const source = ctx.config.source('jwtSecret');
  const secret = ctx.config.get('jwtSecret');
  if (secret && source && source !== 'default') {
    try {
      verifyAccessToken(token, { secret, clock });
    } catch (err) {
      throw usageError('TOKEN_REJECTED', `--token does not verify with the JWT secret from ${source} (${isVeloError(err) ? err.code : 'invalid'})`, 'pass the token signed by this secret, or the secret of the token');
    }
  }
}

/** A site refusing our token means the secret is not the site's: say which variable to fix. */
export function credentialError(url: string, status: number, body: unknown): VeloError | undefined {
  if (status !== 401 && status !== 403) return undefined;
  const code = (body as { error?: { code?: string } } | undefined)?.error?.code ?? String(status);
  return new VeloError(
    'SITE_REJECTED_TOKEN',
    `${url} rejected the operator token (${code})`,
    status === 401 ? 'set SUPABASE_JWT_SECRET to the site\'s JWT secret, or pass a valid --token' : 'the token needs role service_role',
  );
}
