import type { NetlifyEvent } from '../../emulator/types.js';
import { createTokenVerifier, type AccessClaims } from '../../auth/jwt.js';
import { userIdForAthlete } from '../../auth/user-id.js';
import { withClaims } from '../../db/rls.js';
import type { Queryable } from '../../db/sql.js';
import { isVeloError } from '../../errors.js';
import type { FunctionDeps } from '../deps.js';
import { HttpError } from './http.js';
import { isSessionRevoked } from './revocations.js';

export type { AccessClaims };
export type Role = 'authenticated' | 'service_role';

export interface Caller {
  claims: AccessClaims;
  role: string;
  /** auth.users id (`sub`). */
  userId: string;
  /** The caller's Strava athlete id; undefined for an operator (service_role) token. */
  athleteId: number | undefined;
}

const BEARER_RE = /^Bearer\s+(\S+)\s*$/i;

/** One verifier (with its cache of checked signatures) per wiring of the handlers. */
const verifiers = new WeakMap<FunctionDeps, { secret: string; verify: (token: string) => AccessClaims }>();
function verifierFor(deps: FunctionDeps): (token: string) => AccessClaims {
  let entry = verifiers.get(deps);
  // A new secret (a snapshot loaded into a running serve) starts a new verifier.
  if (!entry || entry.secret !== deps.secrets.jwtSecret) {
    entry = { secret: deps.secrets.jwtSecret, verify: createTokenVerifier({ secret: deps.secrets.jwtSecret, clock: deps.clock }) };
    verifiers.set(deps, entry);
  }
  return entry.verify;
}
const WWW_AUTHENTICATE = 'Bearer realm="veloready"';

function unauthorized(code: string, message: string): HttpError {
  return new HttpError(401, code, message, { 'www-authenticate': WWW_AUTHENTICATE });
}

// Requests from one client repeat the same header: remember the last one parsed.
let lastHeader = '';
let lastBearer = '';

/** The Bearer token of the request, or 401. */
export function bearerToken(event: NetlifyEvent): string {
  const header = event.headers?.['authorization'];
  if (!header) throw unauthorized('AUTH_REQUIRED', 'Send Authorization: Bearer <access token>');
  if (header === lastHeader) return lastBearer;
  const m = BEARER_RE.exec(header);
  if (!m) throw unauthorized('AUTH_INVALID', 'The Authorization header must be "Bearer <access token>"');
  lastHeader = header;
  lastBearer = m[1]!;
  return lastBearer;
}

/** The athlete id carried by the token (`app_metadata.athlete_id`), when it is a valid id. */
export function athleteIdClaim(claims: AccessClaims): number | undefined {
  const raw: unknown = claims.app_metadata?.athlete_id;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * The athlete a verified token speaks for without asking the database: its claim, trusted only
 * when it agrees with the user id derived from it (otherwise a user created elsewhere, or a
 * hand-minted token: the database decides, so a cache key can never name an athlete the caller's
 * RLS cannot see). Remembered per verified claims object, which the verifier reuses per token.
 */
const claimedAthletes = new WeakMap<AccessClaims, number | null>();
function trustedAthleteClaim(claims: AccessClaims): number | undefined {
  let athleteId = claimedAthletes.get(claims);
  if (athleteId === undefined) {
    const claimed = athleteIdClaim(claims);
    athleteId = claimed !== undefined && userIdForAthlete(claimed) === claims.sub ? claimed : null;
    claimedAthletes.set(claims, athleteId);
  }
  return athleteId ?? undefined;
}

/**
 * Verifies the Bearer JWT and resolves the caller. The athlete comes from the token's claim (no
 * database round trip); a token without it is looked up as the caller, so RLS decides. A token
 * whose `session_id` names a revoked session is refused (SESSION_REVOKED); tokens of no stored
 * session (`veloready token mint`, the demo token) work until `/auth/disconnect` or logout records their
 * session as revoked (src/auth/sessions.ts revokeTokenSession).
 * `roles` lists the roles allowed here (default: athletes only).
 */
export async function authenticate(
  event: NetlifyEvent,
  deps: FunctionDeps,
  roles: readonly Role[] = ['authenticated'],
): Promise<Caller> {
  const token = bearerToken(event);
  let claims: AccessClaims;
  try {
    claims = verifierFor(deps)(token);
  } catch (err) {
    if (isVeloError(err)) throw unauthorized(err.code, err.message);
    throw unauthorized('JWT_INVALID', 'The access token could not be verified');
  }
  if (typeof claims.session_id === 'string') {
    const revoked = isSessionRevoked(deps, claims.session_id);
    if (revoked === true || (revoked !== false && (await revoked))) {
      throw unauthorized('SESSION_REVOKED', 'This session was signed out (revoked); sign in again');
    }
  }
  const role: string = claims.role;
  if (!(roles as readonly string[]).includes(role)) {
    throw new HttpError(403, 'FORBIDDEN_ROLE', `A token with role "${role}" cannot call this function`);
  }
  const userId = claims.sub ?? '';
  let athleteId = role === 'authenticated' ? trustedAthleteClaim(claims) : athleteIdClaim(claims);
  if (athleteId === undefined && role === 'authenticated') {
    athleteId = await withClaims(deps.sql, claims, async (tx) => {
      const { rows } = await tx.query<{ id: string }>('select id::text as id from public.athletes where user_id = $1', [userId]);
      return rows[0] ? Number(rows[0].id) : undefined;
    });
    if (athleteId === undefined) {
      throw new HttpError(403, 'NO_ATHLETE', 'This user has no connected Strava athlete');
    }
  }
  return { claims, role, userId, athleteId };
}

/** The caller's athlete id, or 403 for tokens that carry none (operators). */
export function requireAthlete(caller: Caller): number {
  if (caller.athleteId === undefined) throw new HttpError(403, 'NO_ATHLETE', 'This token is not an athlete\'s');
  return caller.athleteId;
}

/** Runs fn as role `authenticated` with the caller's claims: RLS applies exactly as on Supabase. */
export function asCaller<T>(deps: FunctionDeps, caller: Caller, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return withClaims(deps.sql, caller.claims, fn);
}
