import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Queryable, Sql } from '../db/sql.js';
import { VeloError } from '../errors.js';
import { UUID_RE } from './user-id.js';

/**
 * The one store of sessions and refresh tokens: `auth-refresh-token`, the GoTrue subset under
 * `/auth/v1` and Strava deauthorization all go through here, so they share one set of rules.
 *
 * - A refresh token is 32 random bytes, base64url; only its sha256 (hex) is stored.
 * - Rotation marks the presented token rotated and issues its child, in one transaction with the
 *   token row locked (`FOR UPDATE`), so of two concurrent rotations of one token exactly one wins.
 * - Presenting a rotated or revoked token is reuse: the whole session is revoked (committed) and
 *   the caller gets REFRESH_TOKEN_REUSED.
 * These run as the connection's own role (server-side), never as a request's role.
 * Every revocation, once committed, is told to the listeners of its `Sql` (onSessionsRevoked), so
 * this process's access-token checks refuse the session's tokens at once.
 */

export const REFRESH_TOKEN_TTL_S = 30 * 24 * 60 * 60;
export const REFRESH_TOKEN_BYTES = 32;
/** Every refresh failure is an authentication failure for HTTP callers. */
export const REFRESH_ERROR_HTTP_STATUS = 401;

export const REFRESH_TOKEN_INVALID = 'REFRESH_TOKEN_INVALID';
export const REFRESH_TOKEN_EXPIRED = 'REFRESH_TOKEN_EXPIRED';
export const REFRESH_TOKEN_REUSED = 'REFRESH_TOKEN_REUSED';

/** Longest string accepted as a refresh token; anything longer is not one of ours. */
const MAX_TOKEN_LENGTH = 512;

export interface NewSession {
  sessionId: string;
  refreshToken: string;
  /** When the refresh token stops being accepted. */
  expiresAt: Date;
}

export interface RotatedSession extends NewSession {
  userId: string;
  athleteId: number | null;
}

export interface SessionInfo {
  sessionId: string;
  userId: string;
  athleteId: number | null;
  createdAt: Date;
  lastRefreshedAt: Date | null;
  revokedAt: Date | null;
  revokedReason: string | null;
}

export type RevocationListener = (sessionIds: readonly string[]) => void;
const revocationListeners = new WeakMap<Queryable, Set<RevocationListener>>();

/** Calls `listener` with the ids of the sessions revoked through `sql`, after each commit. Returns an unsubscribe. */
export function onSessionsRevoked(sql: Queryable, listener: RevocationListener): () => void {
  let set = revocationListeners.get(sql);
  if (!set) revocationListeners.set(sql, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

function announceRevoked(sql: Queryable, sessionIds: readonly string[]): void {
  if (sessionIds.length === 0) return;
  for (const listener of revocationListeners.get(sql) ?? []) listener(sessionIds);
}

export function newRefreshToken(): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const at = (clock: Clock): string => new Date(clock.now()).toISOString();
const toDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const toAthleteId = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

async function insertRefreshToken(
  tx: Queryable,
  args: { sessionId: string; userId: string; parentId: string | number | null; clock: Clock; ttlS: number },
): Promise<{ token: string; expiresAt: Date }> {
  const token = newRefreshToken();
  const expiresAt = new Date(args.clock.now() + args.ttlS * 1000);
  await tx.query(
    `insert into public.refresh_tokens (session_id, user_id, token_hash, parent_id, created_at, expires_at)
     values ($1, $2, $3, $4, $5, $6)`,
    [args.sessionId, args.userId, hashRefreshToken(token), args.parentId, at(args.clock), expiresAt.toISOString()],
  );
  return { token, expiresAt };
}

/** Opens a session for a user (and the athlete it signs in as) and returns its first refresh token. */
export async function createSession(
  sql: Sql,
  opts: { userId: string; athleteId?: number | null; clock: Clock; refreshTtlS?: number },
): Promise<NewSession> {
  const ttlS = opts.refreshTtlS ?? REFRESH_TOKEN_TTL_S;
  return sql.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `insert into public.auth_sessions (user_id, athlete_id, created_at) values ($1, $2, $3) returning id`,
      [opts.userId, opts.athleteId ?? null, at(opts.clock)],
    );
    const sessionId = rows[0]!.id;
    const { token, expiresAt } = await insertRefreshToken(tx, {
      sessionId,
      userId: opts.userId,
      parentId: null,
      clock: opts.clock,
      ttlS,
    });
    return { sessionId, refreshToken: token, expiresAt };
  });
}

export type RefreshErrorCode = typeof REFRESH_TOKEN_INVALID | typeof REFRESH_TOKEN_EXPIRED | typeof REFRESH_TOKEN_REUSED;

type RotateOutcome = { ok: true; session: RotatedSession } | { ok: false; code: RefreshErrorCode; revokedSessionId?: string };

interface TokenRow {
  id: string | number;
  session_id: string;
  user_id: string;
  expires_at: unknown;
  rotated_at: unknown;
  revoked_at: unknown;
  athlete_id: unknown;
  session_revoked_at: unknown;
}

/**
 * Exchanges a refresh token for a new one in the same session. Throws VeloError
 * REFRESH_TOKEN_INVALID (unknown), REFRESH_TOKEN_EXPIRED, or REFRESH_TOKEN_REUSED (the token was
 * already rotated or revoked: the whole session is now revoked).
 */
export async function rotateRefreshToken(
  sql: Sql,
  token: string,
  opts: { clock: Clock; refreshTtlS?: number },
): Promise<RotatedSession> {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw refreshError(REFRESH_TOKEN_INVALID);
  }
  const ttlS = opts.refreshTtlS ?? REFRESH_TOKEN_TTL_S;
  const outcome = await sql.transaction<RotateOutcome>(async (tx) => {
    const { rows } = await tx.query<TokenRow>(
      `select rt.id, rt.session_id, rt.user_id, rt.expires_at, rt.rotated_at, rt.revoked_at,
              s.athlete_id, s.revoked_at as session_revoked_at
         from public.refresh_tokens rt
         join public.auth_sessions s on s.id = rt.session_id
        where rt.token_hash = $1
        for update of rt, s`,
      [hashRefreshToken(token)],
    );
    const row = rows[0];
    if (!row) return { ok: false, code: REFRESH_TOKEN_INVALID };
    if (row.rotated_at !== null || row.revoked_at !== null || row.session_revoked_at !== null) {
      await revokeSessionIn(tx, row.session_id, opts.clock, 'refresh_token_reused');
      return { ok: false, code: REFRESH_TOKEN_REUSED, revokedSessionId: row.session_id };
    }
    if (toDate(row.expires_at).getTime() <= opts.clock.now()) return { ok: false, code: REFRESH_TOKEN_EXPIRED };

    await tx.query(`update public.refresh_tokens set rotated_at = $2 where id = $1`, [row.id, at(opts.clock)]);
    await tx.query(`update public.auth_sessions set last_refreshed_at = $2 where id = $1`, [
      row.session_id,
      at(opts.clock),
    ]);
    const next = await insertRefreshToken(tx, {
      sessionId: row.session_id,
      userId: row.user_id,
      parentId: row.id,
      clock: opts.clock,
      ttlS,
    });
    return {
      ok: true,
      session: {
        sessionId: row.session_id,
        userId: row.user_id,
        athleteId: toAthleteId(row.athlete_id),
        refreshToken: next.token,
        expiresAt: next.expiresAt,
      },
    };
  });
  // Thrown after the transaction so the reuse revocation above is committed, not rolled back.
  if (!outcome.ok) {
    if (outcome.revokedSessionId) announceRevoked(sql, [outcome.revokedSessionId]);
    throw refreshError(outcome.code);
  }
  return outcome.session;
}

function refreshError(code: RefreshErrorCode): VeloError {
  switch (code) {
    case REFRESH_TOKEN_REUSED:
      return new VeloError(
        code,
        'This refresh token was already used or revoked; the whole session has been signed out.',
        'Sign in again to get a new session.',
      );
    case REFRESH_TOKEN_EXPIRED:
      return new VeloError(code, 'This refresh token has expired.', 'Sign in again to get a new session.');
    default:
      return new VeloError(REFRESH_TOKEN_INVALID, 'Unknown refresh token.', 'Sign in again to get a new session.');
  }
}

async function revokeSessionIn(tx: Queryable, sessionId: string, clock: Clock, reason: string): Promise<boolean> {
  const now = at(clock);
  const { rowCount } = await tx.query(
    `update public.auth_sessions set revoked_at = $2, revoked_reason = $3 where id = $1 and revoked_at is null`,
    [sessionId, now, reason],
  );
  await tx.query(`update public.refresh_tokens set revoked_at = $2 where session_id = $1 and revoked_at is null`, [
    sessionId,
    now,
  ]);
  return rowCount > 0;
}

/** Signs one session out. Returns false when it was unknown or already revoked. */
export async function revokeSession(
  sql: Sql,
  sessionId: string,
  opts: { clock: Clock; reason?: string },
): Promise<boolean> {
  const revoked = await sql.transaction((tx) => revokeSessionIn(tx, sessionId, opts.clock, opts.reason ?? 'logout'));
  if (revoked) announceRevoked(sql, [sessionId]);
  return revoked;
}

async function revokeWhere(
  sql: Sql,
  where: string,
  params: unknown[],
  opts: { clock: Clock; reason?: string },
): Promise<number> {
  const ids = await sql.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `select id::text as id from public.auth_sessions where revoked_at is null and ${where} for update`,
      params,
    );
    for (const { id } of rows) await revokeSessionIn(tx, id, opts.clock, opts.reason ?? 'revoked');
    return rows.map((r) => r.id);
  });
  announceRevoked(sql, ids);
  return ids.length;
}

/**
 * Signs a user out everywhere (or everywhere but `exceptSessionId`, GoTrue's scope=others).
 * Returns how many sessions were revoked.
 */
export async function revokeAllSessionsForUser(
  sql: Sql,
  userId: string,
  opts: { clock: Clock; reason?: string; exceptSessionId?: string },
): Promise<number> {
  if (opts.exceptSessionId) {
    return revokeWhere(sql, 'user_id = $1 and id <> $2', [userId, opts.exceptSessionId], opts);
  }
  return revokeWhere(sql, 'user_id = $1', [userId], opts);
}

/** Strava deauthorization / disconnect: every session of the athlete is revoked. */
export async function revokeAllSessionsForAthlete(
  sql: Sql,
  athleteId: number,
  opts: { clock: Clock; reason?: string },
): Promise<number> {
  return revokeWhere(sql, 'athlete_id = $1', [athleteId], { reason: 'deauthorized', ...opts });
}

/**
 * Signs out the session an access token names even when no row holds it (tokens from `veloready
 * token mint` or serve's banner carry a session_id of their own): a stored session is revoked, an
 * unknown one is recorded as revoked, so every revocation-aware route refuses the token from now
 * on. False when there was nothing to do (already revoked, or no such user to record it for).
 */
export async function revokeTokenSession(
  sql: Sql,
  session: { sessionId: string; userId: string; athleteId?: number | undefined },
  opts: { clock: Clock; reason?: string },
): Promise<boolean> {
  if (!UUID_RE.test(session.sessionId) || !UUID_RE.test(session.userId)) return false;
  if (await revokeSession(sql, session.sessionId, opts)) return true;
  const now = new Date(opts.clock.now()).toISOString();
  const recorded = await sql.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `insert into public.auth_sessions (id, user_id, athlete_id, created_at, revoked_at, revoked_reason)
       select $1, u.id, (select a.id from public.athletes a where a.id = $3), $4, $4, $5
         from auth.users u where u.id = $2
       on conflict (id) do nothing
       returning id::text as id`,
      [session.sessionId, session.userId, session.athleteId ?? null, now, opts.reason ?? 'logout'],
    );
    return rows.length > 0;
  });
  if (recorded) announceRevoked(sql, [session.sessionId]);
  return recorded;
}

/** A session by id, revoked or not; null when unknown. */
export async function getSession(sql: Queryable, sessionId: string): Promise<SessionInfo | null> {
  if (!UUID_RE.test(sessionId)) return null;
  const { rows } = await sql.query<Record<string, unknown>>(
    `select id, user_id, athlete_id, created_at, last_refreshed_at, revoked_at, revoked_reason
       from public.auth_sessions where id = $1`,
    [sessionId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    sessionId: String(r.id),
    userId: String(r.user_id),
    athleteId: toAthleteId(r.athlete_id),
    createdAt: toDate(r.created_at),
    lastRefreshedAt: r.last_refreshed_at === null ? null : toDate(r.last_refreshed_at),
    revokedAt: r.revoked_at === null ? null : toDate(r.revoked_at),
    revokedReason: (r.revoked_reason as string | null) ?? null,
  };
}
