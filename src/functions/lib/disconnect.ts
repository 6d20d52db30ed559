import { revokeAllSessionsForAthlete } from '../../auth/sessions.js';
import type { FunctionDeps } from '../deps.js';
import { purgeAthlete } from './invalidate.js';

export interface Disconnected {
  sessions_revoked: number;
  cache_entries_deleted: number;
}

/**
 * Cuts the athlete off (Strava deauthorization, or the app's disconnect): its Strava tokens are
 * dropped, every session is revoked (so every access token stops working) and its caches purged.
 * Signing in with Strava again reconnects it.
 */
export async function disconnectAthlete(deps: FunctionDeps, athleteId: number, reason: string): Promise<Disconnected> {
  const now = new Date(deps.clock.now()).toISOString();
  await deps.sql.query(
    `update public.athletes set deauthorized_at = $2, strava_access_token = null, strava_refresh_token = null,
       strava_token_expires_at = null, updated_at = $2 where id = $1`,
    [athleteId, now],
  );
  const sessions = await revokeAllSessionsForAthlete(deps.sql, athleteId, { clock: deps.clock, reason });
  const deleted = await purgeAthlete(deps, athleteId);
  return { sessions_revoked: sessions, cache_entries_deleted: deleted };
}
