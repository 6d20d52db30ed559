import { onSessionsRevoked } from '../../auth/sessions.js';
import type { FunctionDeps } from '../deps.js';

/** How often the set catches up with revocations made elsewhere (a CLI command, another server). */
export const REVOCATION_SYNC_INTERVAL_MS = 2_000;
/** Longest a request waits for a due read of the sessions table once the set has been read once. */
export const REVOCATION_WAIT_MS = 250;
/** Far longer than any access token lives (1 h): older revocations cannot matter and are forgotten. */
const REVOCATION_MEMORY_MS = 24 * 3600_000;
/** Each sync reads back this far before the last one, for revocations stamped by a lagging clock or committed late. */
const SYNC_OVERLAP_MS = 5 * 60_000;

interface RevokedSessions {
  /** Session id → when it was revoked (ms). */
  revoked: Map<string, number>;
  /** When the last sync started (ms on deps.clock); -Infinity before the first. */
  syncedAt: number;
  syncing: Promise<void> | undefined;
}

/** One set per wiring of the handlers, fed at once by this process's revocations. */
const sets = new WeakMap<FunctionDeps, RevokedSessions>();

function setFor(deps: FunctionDeps): RevokedSessions {
  let s = sets.get(deps);
  if (!s) {
    const created: RevokedSessions = { revoked: new Map(), syncedAt: -Infinity, syncing: undefined };
    onSessionsRevoked(deps.sql, (ids) => {
      const now = deps.clock.now();
      for (const id of ids) created.revoked.set(id, now);
    });
    sets.set(deps, (s = created));
  }
  return s;
}

async function sync(deps: FunctionDeps, s: RevokedSessions, now: number): Promise<void> {
  const since = Number.isFinite(s.syncedAt) ? s.syncedAt - SYNC_OVERLAP_MS : now - REVOCATION_MEMORY_MS;
  const { rows } = await deps.sql.query<{ id: string; at: number }>(
    `select id::text as id, extract(epoch from revoked_at)::float8 * 1000 as at
       from public.auth_sessions where revoked_at >= $1`,
    [new Date(since).toISOString()],
  );
  for (const { id, at } of rows) s.revoked.set(id, Number(at));
  for (const [id, at] of s.revoked) if (at < now - REVOCATION_MEMORY_MS) s.revoked.delete(id);
  s.syncedAt = now;
}

/**
 * Whether the session was revoked (reuse of a rotated refresh token, sign-out, Strava
 * deauthorization, disconnect). A plain Set lookup; the sessions table is read at most every
 * REVOCATION_SYNC_INTERVAL_MS, and only then is the answer a Promise. After the first read, only
 * the request that starts a read waits for it, and for at most REVOCATION_WAIT_MS: a database busy
 * with someone else's long query (a psql session on serve's socket) must not hold up the
 * authenticated cache hits; the read goes on and updates the set when it lands. This process's
 * own revocations reach the set at once.
 */
export function isSessionRevoked(deps: FunctionDeps, sessionId: string): boolean | Promise<boolean> {
  const s = setFor(deps);
  const now = deps.clock.now();
  if (now - s.syncedAt < REVOCATION_SYNC_INTERVAL_MS) return s.revoked.has(sessionId);
  const first = !Number.isFinite(s.syncedAt);
  if (s.syncing && !first) return s.revoked.has(sessionId); // a read is on its way; its starter waits for it
  s.syncing ??= sync(deps, s, now).finally(() => (s.syncing = undefined));
  if (first) return s.syncing.then(() => s.revoked.has(sessionId));
  return new Promise<boolean>((resolve) => {
    const answer = (): void => {
      clearTimeout(timer);
      resolve(s.revoked.has(sessionId));
    };
    const timer = setTimeout(answer, REVOCATION_WAIT_MS);
    // A failed read is retried by the next call after the interval; the set stays as it was.
    s.syncing!.then(answer, answer);
  });
}
