import type { Handler } from '../emulator/types.js';
import { nowSeconds } from '../clock.js';
import type { FunctionDeps } from './deps.js';
import { revokeTokenSession } from '../auth/sessions.js';
import { authenticate, requireAthlete } from './lib/auth.js';
import { jsonBody } from './lib/body.js';
import { disconnectAthlete, type Disconnected } from './lib/disconnect.js';
import { handler, logUnexpected } from './lib/handle.js';
import { json } from './lib/http.js';
import { requireMethod } from './lib/method.js';
import { stravaCredentials } from './lib/strava-creds.js';
import { isStravaClientError } from './lib/strava-errors.js';

/** A stored Strava token this close to its expiry is refreshed before it is revoked. */
const STRAVA_TOKEN_MARGIN_S = 60;

export interface DisconnectBody extends Disconnected {
  status: 'disconnected';
  athlete_id: number;
  /** False when there was nothing left to revoke at Strava (no tokens, or Strava no longer knew them). */
  strava_deauthorized: boolean;
}

/** Asks Strava to revoke the app's access for the athlete; a Strava 5xx or network failure is thrown (502). */
async function deauthorizeAtStrava(deps: FunctionDeps, athleteId: number): Promise<boolean> {
  const creds = await stravaCredentials(deps.sql, athleteId, deps.clock);
  if (!creds) return false;
  try {
    let accessToken = creds.accessToken;
    if (creds.expiresAt - STRAVA_TOKEN_MARGIN_S <= nowSeconds(deps.clock)) {
      accessToken = (await deps.strava.refreshToken(creds.refreshToken)).access_token;
    }
    await deps.strava.deauthorize(accessToken);
    return true;
  } catch (err) {
    if (isStravaClientError(err)) return false; // already revoked on Strava's side
    throw err;
  }
}

/**
 * `POST /auth/disconnect` Bearer: the athlete disconnects Strava from the app. Strava revokes the
 * app's access first (when Strava cannot be reached nothing changes: 502, try again), then the
 * stored Strava tokens are dropped, every session of the athlete is revoked (its access and
 * refresh tokens stop working at once) and its cached data purged. Signing in again reconnects.
 */
export function createAuthDisconnectHandler(deps: FunctionDeps): Handler {
  return handler(async (event) => {
    requireMethod(event, ['POST']);
    jsonBody(event, { optional: true }); // no fields; a broken body is still the client's 400
    const caller = await authenticate(event, deps);
    const athleteId = requireAthlete(caller);
    const stravaDeauthorized = await deauthorizeAtStrava(deps, athleteId);
    const done = await disconnectAthlete(deps, athleteId, 'disconnected');
    // The token this was called with stops working too, even when no stored session holds it.
    const sessionId = caller.claims.session_id;
    if (typeof sessionId === 'string') {
      const revoked = await revokeTokenSession(deps.sql, { sessionId, userId: caller.userId, athleteId }, { clock: deps.clock, reason: 'disconnected' });
      if (revoked) done.sessions_revoked += 1;
    }
    const body: DisconnectBody = { status: 'disconnected', athlete_id: athleteId, strava_deauthorized: stravaDeauthorized, ...done };
    return json(200, body);
  }, logUnexpected(deps, 'auth-disconnect'));
}
