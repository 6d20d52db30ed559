import type { IncomingMessage, ServerResponse } from 'node:http';
import { isVeloError } from '../errors.js';
import { ACCESS_TOKEN_TTL_S, DEFAULT_ISSUER, mintAccessToken, verifyAccessToken, type AccessClaims } from '../auth/jwt.js';
import { UUID_RE } from '../auth/user-id.js';
import {
  createSession,
  getSession,
  revokeAllSessionsForUser,
  revokeTokenSession,
  rotateRefreshToken,
  REFRESH_TOKEN_EXPIRED,
  REFRESH_TOKEN_REUSED,
} from '../auth/sessions.js';
import { isProjectKey } from './keys.js';
import { BodyError, bearerToken, corsHeaders, handlePreflight, headerValue } from './http.js';
import { bodyObject, reply, type AuthHandlerOptions, type Ctx } from './gotrue-context.js';
import { adminRoute } from './gotrue-admin.js';
import { GoTrueError, badRequest, sendGoTrueError } from './gotrue-errors.js';
import { verifyPassword } from './passwords.js';
import { athleteIdForUser, findUserByEmail, findUserById, recordSignIn, toGoTrueUser, type UserRow } from './users.js';

/**
 * The Supabase Auth (GoTrue) subset under `/auth/v1` that `@supabase/supabase-js` v2 calls:
 * getUser, the password and refresh_token grants, logout, and the admin users API. Sessions are
 * the app's own (src/auth/sessions.ts), so `auth-refresh-token` and supabase-js rotate the same
 * refresh tokens under the same reuse rules.
 */

export const AUTH_PREFIX = '/auth/v1';
export type { AuthHandlerOptions };

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export function createAuthHandler(opts: AuthHandlerOptions): NodeHandler {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== AUTH_PREFIX && !url.pathname.startsWith(`${AUTH_PREFIX}/`)) return false;
    if (handlePreflight(req, res)) return true;
    try {
      await route({ ...opts, req, res, url });
    } catch (err) {
      sendGoTrueError(req, res, toGoTrueError(err));
    }
    return true;
  };
}

function toGoTrueError(err: unknown): GoTrueError {
  if (err instanceof GoTrueError) return err;
  if (err instanceof BodyError) return new GoTrueError(err.status, err.status === 413 ? 'request_too_large' : 'bad_json', err.message);
  if (isVeloError(err) && err.code.startsWith('JWT_')) {
    return new GoTrueError(403, 'bad_jwt', `invalid JWT: unable to parse or verify signature, ${err.message}`);
  }
  const sqlState = (err as { code?: unknown } | null)?.code;
  if (sqlState === '23505') return new GoTrueError(422, 'user_already_exists', 'User already registered');
  if (typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState)) {
    return badRequest('validation_failed', 'a value in the request is not valid for its field');
  }
  return new GoTrueError(500, 'unexpected_failure', 'Unexpected failure, please check server logs for more information');
}

async function route(ctx: Ctx): Promise<void> {
  requireApiKey(ctx);
  const path = ctx.url.pathname.slice(AUTH_PREFIX.length).replace(/\/+$/, '') || '/';
  const method = ctx.req.method ?? 'GET';
  const admin = /^\/admin\/users(?:\/([^/]+))?$/.exec(path);

  if (path === '/user' && method === 'GET') return getUser(ctx);
  if (path === '/token' && method === 'POST') return token(ctx);
  if (path === '/logout' && method === 'POST') return logout(ctx);
  if (path === '/health' && method === 'GET') return reply(ctx, 200, { name: 'GoTrue', version: 'veloready', description: 'Supabase Auth subset' });
  if (admin) {
    requireAdmin(ctx);
    const id = admin[1] === undefined ? undefined : safeDecode(admin[1]);
    return adminRoute(ctx, method, id);
  }
  throw new GoTrueError(404, 'not_found', `${method} ${AUTH_PREFIX}${path} is not part of the emulated Supabase Auth API`);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new GoTrueError(404, 'user_not_found', 'User not found');
  }
}

function requireApiKey(ctx: Ctx): void {
  const key = headerValue(ctx.req, 'apikey') ?? ctx.url.searchParams.get('apikey') ?? undefined;
  if (!key) throw new GoTrueError(401, 'no_api_key', 'No API key found in request');
  if (!isProjectKey(key, ctx.secret, ctx.clock)) throw new GoTrueError(401, 'invalid_api_key', 'Invalid API key');
}

function requireBearer(ctx: Ctx): AccessClaims {
  const token = bearerToken(ctx.req);
  if (!token) throw new GoTrueError(401, 'no_authorization', 'This endpoint requires a Bearer token');
  return verifyAccessToken(token, { secret: ctx.secret, clock: ctx.clock });
}

function requireAdmin(ctx: Ctx): void {
  const claims = requireBearer(ctx);
  if (claims.role !== 'service_role') throw new GoTrueError(403, 'not_admin', 'User not allowed');
}

/** The signed-in user of a request; refuses tokens of revoked sessions and deleted users. */
async function currentUser(ctx: Ctx): Promise<{ claims: AccessClaims; user: UserRow }> {
  const claims = requireBearer(ctx);
  if (claims.role !== 'authenticated' || typeof claims.sub !== 'string') {
    throw new GoTrueError(403, 'bad_jwt', 'invalid claim: missing sub claim');
  }
  if (typeof claims.session_id === 'string') {
    // Unknown session ids are accepted (`veloready token mint` makes tokens without a stored
    // session); a session that exists and was revoked is signed out, as on Supabase.
    const session = await getSession(ctx.sql, claims.session_id);
    if (session?.revokedAt) {
      throw new GoTrueError(403, 'session_not_found', 'Session from session_id claim in JWT does not exist');
    }
  }
  const user = await findUserById(ctx.sql, claims.sub);
  if (!user) throw new GoTrueError(403, 'user_not_found', 'User from sub claim in JWT does not exist');
  return { claims, user };
}

async function getUser(ctx: Ctx): Promise<void> {
  const { user } = await currentUser(ctx);
  reply(ctx, 200, toGoTrueUser(user));
}

async function token(ctx: Ctx): Promise<void> {
  const grant = ctx.url.searchParams.get('grant_type');
  const body = await bodyObject(ctx);
  if (grant === 'password') return passwordGrant(ctx, body);
  if (grant === 'refresh_token') return refreshGrant(ctx, body);
  throw badRequest('validation_failed', `unsupported_grant_type: ${grant === null ? '(none)' : JSON.stringify(grant)}`);
}

const INVALID_LOGIN = 'Invalid login credentials';

/** GoTrue's answer when a credential's budget is spent (its `over_request_rate_limit`). */
function limitCredential(ctx: Ctx, kind: 'email' | 'refresh_token', credential: string): void {
  const taken = ctx.credentials?.take(`/auth/v1/token ${kind}`, credential);
  if (taken && !taken.ok) {
    throw new GoTrueError(429, 'over_request_rate_limit', `Request rate limit reached for this ${kind}; retry in ${taken.retryAfterS} s`, {
      'retry-after': String(taken.retryAfterS),
    });
  }
}

async function passwordGrant(ctx: Ctx, body: Record<string, unknown>): Promise<void> {
  const { email, password } = body;
  if (typeof password !== 'string' || typeof email !== 'string' || email === '') {
    throw badRequest('validation_failed', 'Only an email address or phone number should be provided on login.');
  }
  limitCredential(ctx, 'email', email.trim().toLowerCase());
  const user = await findUserByEmail(ctx.sql, email);
  if (!user || !(await verifyPassword(password, user.encrypted_password))) {
    throw badRequest('invalid_credentials', INVALID_LOGIN);
  }
  assertNotBanned(ctx, user);
  const athleteId = await athleteIdForUser(ctx.sql, user.id);
  const session = await createSession(ctx.sql, {
    userId: user.id,
    athleteId,
    clock: ctx.clock,
    ...(ctx.refreshTtlS ? { refreshTtlS: ctx.refreshTtlS } : {}),
  });
  await recordSignIn(ctx.sql, user.id, ctx.clock);
  const fresh = (await findUserById(ctx.sql, user.id)) ?? user;
  reply(ctx, 200, sessionBody(ctx, fresh, session.sessionId, session.refreshToken, athleteId, 'password'));
}

async function refreshGrant(ctx: Ctx, body: Record<string, unknown>): Promise<void> {
  const refreshToken = body.refresh_token;
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    throw badRequest('validation_failed', 'refresh_token is required');
  }
  limitCredential(ctx, 'refresh_token', refreshToken);
  let rotated;
  try {
    rotated = await rotateRefreshToken(ctx.sql, refreshToken, {
      clock: ctx.clock,
      ...(ctx.refreshTtlS ? { refreshTtlS: ctx.refreshTtlS } : {}),
    });
  } catch (err) {
    if (!isVeloError(err)) throw err;
    if (err.code === REFRESH_TOKEN_REUSED) throw badRequest('refresh_token_already_used', 'Invalid Refresh Token: Already Used');
    if (err.code === REFRESH_TOKEN_EXPIRED) throw badRequest('session_expired', 'Invalid Refresh Token: Session Expired');
    throw badRequest('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
  }
  const user = await findUserById(ctx.sql, rotated.userId);
  if (!user) throw badRequest('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
  assertNotBanned(ctx, user);
  reply(ctx, 200, sessionBody(ctx, user, rotated.sessionId, rotated.refreshToken, rotated.athleteId, 'token_refresh'));
}

function assertNotBanned(ctx: Ctx, user: UserRow): void {
  if (user.banned_until === null || user.banned_until === undefined) return;
  const until = new Date(user.banned_until instanceof Date ? user.banned_until : String(user.banned_until));
  if (until.getTime() > ctx.clock.now()) throw badRequest('user_banned', 'User is banned');
}

/** GoTrue's session object: what `_sessionResponse` in auth-js turns into `data.session`. */
function sessionBody(
  ctx: Ctx,
  row: UserRow,
  sessionId: string,
  refreshToken: string,
  athleteId: number | null,
  method: 'password' | 'token_refresh',
): Record<string, unknown> {
  const user = toGoTrueUser(row);
  const ttl = ctx.accessTtlS ?? ACCESS_TOKEN_TTL_S;
  const minted = mintAccessToken({
    secret: ctx.secret,
    clock: ctx.clock,
    userId: user.id,
    email: user.email,
    sessionId,
    ttlSeconds: ttl,
    issuer: ctx.issuer ?? DEFAULT_ISSUER,
    userMetadata: user.user_metadata,
    extraClaims: {
      phone: user.phone,
      app_metadata: { ...user.app_metadata, ...(athleteId !== null ? { athlete_id: athleteId } : {}) },
      aal: 'aal1',
      amr: [{ method, timestamp: Math.floor(ctx.clock.now() / 1000) }],
      is_anonymous: user.is_anonymous,
    },
  });
  return {
    access_token: minted.token,
    token_type: 'bearer',
    expires_in: ttl,
    expires_at: Math.floor(minted.expiresAt.getTime() / 1000),
    refresh_token: refreshToken,
    user,
  };
}

async function logout(ctx: Ctx): Promise<void> {
  const scope = ctx.url.searchParams.get('scope') ?? 'global';
  if (scope !== 'global' && scope !== 'local' && scope !== 'others') {
    throw badRequest('validation_failed', `Unsupported logout scope ${JSON.stringify(scope)}`);
  }
  const claims = requireBearer(ctx);
  if (claims.role !== 'authenticated' || typeof claims.sub !== 'string') {
    throw new GoTrueError(403, 'bad_jwt', 'invalid claim: missing sub claim');
  }
  const sessionId = typeof claims.session_id === 'string' && UUID_RE.test(claims.session_id) ? claims.session_id : undefined;
  if (scope === 'local') {
    if (sessionId) await revokeTokenSession(ctx.sql, { sessionId, userId: claims.sub }, { clock: ctx.clock, reason: 'logout' });
  } else {
    await revokeAllSessionsForUser(ctx.sql, claims.sub, {
      clock: ctx.clock,
      reason: 'logout',
      ...(scope === 'others' && sessionId ? { exceptSessionId: sessionId } : {}),
    });
    // A token of no stored session (token mint, serve's banner) is signed out too.
    if (scope === 'global' && sessionId) await revokeTokenSession(ctx.sql, { sessionId, userId: claims.sub }, { clock: ctx.clock, reason: 'logout' });
  }
  ctx.res.writeHead(204, corsHeaders());
  ctx.res.end();
}

