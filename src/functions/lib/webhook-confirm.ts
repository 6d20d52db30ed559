/**
 * Strava does not sign webhook deliveries, so anyone can POST one. Before a delivery may destroy
 * anything (an activity delete, an athlete's deauthorization), Strava itself is asked.
 */
import type { FunctionDeps } from '../deps.js';
import { stravaCredentials } from './strava-creds.js';
import { isStravaNotFound, stravaStatus } from './strava-errors.js';

/**
 * True when Strava answers 404 for the activity to its athlete's own token. False when Strava
 * still shows it, or when the athlete has no token to ask with (nothing to confirm; nothing done).
 * Strava's own failures (5xx, network) throw, so the delivery is retried.
 */
export async function activityGoneFromStrava(deps: FunctionDeps, athleteId: number, activityId: number): Promise<boolean> {
  const creds = await stravaCredentials(deps.sql, athleteId, deps.clock);
  if (!creds) return false;
  try {
    await deps.strava.getActivity(creds, activityId);
    return false;
  } catch (err) {
    if (isStravaNotFound(err)) return true;
    if (isRefused(err)) return false;
    throw err;
  }
}

/** True when Strava refuses the athlete's token (and its refresh): access really was revoked. */
export async function athleteRevokedOnStrava(deps: FunctionDeps, athleteId: number): Promise<boolean> {
  const creds = await stravaCredentials(deps.sql, athleteId, deps.clock);
  if (!creds) return false;
  try {
    await deps.strava.getAthlete(creds);
    return false;
  } catch (err) {
    if (isRefused(err)) return true;
    throw err;
  }
}

const isRefused = (err: unknown): boolean => {
  const status = stravaStatus(err);
  return status === 401 || status === 403;
};
