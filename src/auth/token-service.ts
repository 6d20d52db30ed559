import type { CommandContext } from '../cli/context.js';
import { systemClock, type Clock } from '../clock.js';
import { resolveJwtSecret } from '../config/jwt-secret.js';
import { usageError } from '../errors.js';
import { resolveSite } from '../ops/target.js';
import { formatDuration } from '../util/duration.js';
import { DEFAULT_CLOCK_SKEW_S, mintAccessToken, verifyAccessToken, type AccessClaims, type MintedToken, type Role } from './jwt.js';
import { UUID_RE } from './user-id.js';

export interface MintRequest {
  athleteId?: number;
  userId?: string;
  email?: string;
  role: Role;
  ttlSeconds: number;
  extraClaims?: Record<string, unknown>;
}

export async function mintToken(ctx: CommandContext, req: MintRequest, clock: Clock = systemClock): Promise<MintedToken> {
  if (req.role === 'authenticated' && req.athleteId === undefined && req.userId === undefined) {
    throw usageError('ATHLETE_REQUIRED', 'an authenticated token needs --athlete (or --user-id)', 'e.g. veloready token mint --athlete 104662');
  }
  if (req.userId !== undefined && !UUID_RE.test(req.userId)) {
    throw usageError('INVALID_USER_ID', `--user-id "${req.userId}" is not a uuid`, 'omit it to derive the id from --athlete');
  }
  const secret = await resolveJwtSecret(ctx.config);
  // The issuer is the site every other command would talk to: a serve on another port included.
  const site = resolveSite(ctx.config);
  ctx.out.info(`iss: ${site.url}/auth/v1 (${site.from})`);
  return mintAccessToken({ ...req, secret: secret.value, clock, issuer: `${site.url}/auth/v1` });
}

export interface VerifiedToken {
  claims: AccessClaims;
  /** Negative when the token expired, yet within the leeway. */
  expiresInSeconds: number;
  /** What holds: "expires in 59m 58s", or "expired 29 s ago; accepted within the 30 s leeway". */
  validity: string;
  /** True when only the clock-skew leeway made it valid (expired, or nbf/iat ahead of the clock). */
  withinLeeway: boolean;
  leewaySeconds: number;
}

export async function verifyToken(ctx: CommandContext, token: string, clock: Clock = systemClock): Promise<VerifiedToken> {
  const secret = await resolveJwtSecret(ctx.config);
  const claims = verifyAccessToken(token, { secret: secret.value, clock });
  const now = Math.floor(clock.now() / 1000);
  const leeway = DEFAULT_CLOCK_SKEW_S;
  const expiresInSeconds = claims.exp - now;
  const notes: string[] = [];
  if (expiresInSeconds <= 0) notes.push(`expired ${-expiresInSeconds} s ago`);
  else notes.push(`expires in ${formatDuration(expiresInSeconds)}`);
  const ahead = Math.max(...(['nbf', 'iat'] as const).map((c) => (typeof claims[c] === 'number' ? (claims[c] as number) - now : 0)));
  if (ahead > 0) notes.push(`issued ${ahead} s in the future`);
  const withinLeeway = expiresInSeconds <= 0 || ahead > 0;
  const validity = notes.join(', ') + (withinLeeway ? `; accepted within the ${leeway} s clock-skew leeway` : '');
  return { claims, expiresInSeconds, validity, withinLeeway, leewaySeconds: leeway };
}

/** `-` reads the token from stdin (first non-empty line). */
export async function readTokenArg(arg: string): Promise<string> {
  if (arg !== '-') return arg.trim();
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const token = Buffer.concat(chunks).toString('utf8').trim().split(/\s+/)[0] ?? '';
  if (!token) throw usageError('NO_TOKEN', 'no token on stdin', 'pipe a token in, e.g. veloready token mint --athlete 1 | veloready token verify -');
  return token;
}
