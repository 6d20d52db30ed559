/** serve's OperatorGuard: callers are verified JWTs (revoked sessions refused); owners are user ids. */
import { createTokenVerifier } from '../auth/jwt.js';
import type { Sql } from '../db/sql.js';
import type { GuardCaller, GuardRefusal, OperatorGuard } from '../emulator/operator-guard.js';
import type { FunctionDeps } from '../functions/deps.js';
import { isSessionRevoked } from '../functions/lib/revocations.js';
import { isVeloError } from '../errors.js';

const BEARER_RE = /^Bearer\s+(\S+)\s*$/i;

export function createServeGuard(deps: FunctionDeps, sql: Sql): OperatorGuard {
  const verify = createTokenVerifier({ secret: deps.secrets.jwtSecret, clock: deps.clock });
  return {
    async caller(authorization): Promise<GuardCaller | GuardRefusal> {
      const m = authorization ? BEARER_RE.exec(authorization) : null;
      if (!m) return { refused: { code: 'AUTH_REQUIRED', message: 'Send Authorization: Bearer <access token>' } };
      try {
        const claims = verify(m[1]!);
        if (typeof claims.session_id === 'string' && (await isSessionRevoked(deps, claims.session_id))) {
          return { refused: { code: 'SESSION_REVOKED', message: 'This session was signed out (revoked); sign in again' } };
        }
        const operator = claims.role === 'service_role';
        return { operator, owner: operator ? undefined : claims.sub };
      } catch (err) {
        return { refused: isVeloError(err) ? { code: err.code, message: err.message } : { code: 'JWT_INVALID', message: 'The access token could not be verified' } };
      }
    },
    async ownerOf(record) {
      const athleteId = (record as { athlete_id?: unknown } | null)?.athlete_id;
      if (athleteId === undefined || athleteId === null) return undefined;
      const { rows } = await sql.query<{ user_id: string }>('select user_id::text as user_id from public.athletes where id = $1', [String(athleteId)]);
      return rows[0]?.user_id;
    },
  };
}
