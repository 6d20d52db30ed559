import type { Handler, NetlifyEvent, NetlifyResponse } from '../emulator/types.js';
import { revokeAllSessionsForAthlete } from '../auth/sessions.js';
import type { FunctionDeps } from './deps.js';
import { deleteActivities, upsertActivities } from './lib/activities.js';
import { jsonBody } from './lib/body.js';
import { handler, logUnexpected } from './lib/handle.js';
import { HttpError, json } from './lib/http.js';
import { invalidateAthleteActivities, purgeAthlete } from './lib/invalidate.js';
import { requireMethod } from './lib/method.js';
import { queryParam } from './lib/query.js';
import { stravaCredentials } from './lib/strava-creds.js';
import { isStravaNotFound } from './lib/strava-errors.js';
import { eventKey, isDeauthorization, parseWebhookEvent, type WebhookEvent } from './lib/webhook-event.js';

export type WebhookOutcome = 'upserted' | 'deleted' | 'deauthorized' | 'ignored' | 'duplicate';

/** Strava's subscription check: echo `hub.challenge` when the verify token matches. */
function validateSubscription(event: NetlifyEvent, deps: FunctionDeps): NetlifyResponse {
  const mode = queryParam(event, 'hub.mode');
  const token = queryParam(event, 'hub.verify_token');
  const challenge = queryParam(event, 'hub.challenge');
  if (mode !== 'subscribe' || !challenge) {
    throw new HttpError(400, 'INVALID_SUBSCRIPTION', 'Expected hub.mode=subscribe and a hub.challenge');
  }
  const expected = deps.secrets.stravaVerifyToken;
  if (!expected || token !== expected) throw new HttpError(403, 'VERIFY_TOKEN_MISMATCH', 'hub.verify_token does not match');
  return json(200, { 'hub.challenge': challenge });
}

/** Records the event; false when it was already processed (a duplicate delivery). */
async function claimEvent(deps: FunctionDeps, e: WebhookEvent): Promise<boolean> {
  const inserted = await deps.sql.query(
    `insert into public.strava_webhook_events (event_key, owner_id, object_type, object_id, aspect_type, updates, event_time, received_at)
     values ($1, $2, $3, $4, $5, $6::jsonb, to_timestamp($7), $8)
     on conflict (event_key) do nothing`,
    [eventKey(e), e.owner_id, e.object_type, e.object_id, e.aspect_type, JSON.stringify(e.updates), e.event_time,
      new Date(deps.clock.now()).toISOString()],
  );
  if (inserted.rowCount > 0) return true;
  // Seen before: process again only when the first delivery never finished.
  const { rows } = await deps.sql.query<{ processed_at: unknown }>(
    'select processed_at from public.strava_webhook_events where event_key = $1',
    [eventKey(e)],
  );
  return rows[0]?.processed_at === null;
}

async function athleteExists(deps: FunctionDeps, athleteId: number): Promise<boolean> {
  const { rows } = await deps.sql.query('select 1 from public.athletes where id = $1', [athleteId]);
  return rows.length > 0;
}

async function processEvent(deps: FunctionDeps, e: WebhookEvent): Promise<WebhookOutcome> {
  if (!(await athleteExists(deps, e.owner_id))) return 'ignored';
  if (e.object_type === 'athlete') {
    if (!isDeauthorization(e)) return 'ignored';
    await deps.sql.query(
      `update public.athletes set deauthorized_at = $2, strava_access_token = null, strava_refresh_token = null,
         strava_token_expires_at = null, updated_at = $2 where id = $1`,
      [e.owner_id, new Date(deps.clock.now()).toISOString()],
    );
    await revokeAllSessionsForAthlete(deps.sql, e.owner_id, { clock: deps.clock, reason: 'strava_deauthorized' });
    await purgeAthlete(deps, e.owner_id);
    return 'deauthorized';
  }
  if (e.aspect_type === 'delete') {
    await deleteActivities(deps.sql, e.owner_id, [e.object_id]);
    await invalidateAthleteActivities(deps, e.owner_id, e.object_id);
    return 'deleted';
  }
  const creds = await stravaCredentials(deps.sql, e.owner_id);
  if (!creds) return 'ignored';
  try {
    const activity = await deps.strava.getActivity(creds, e.object_id);
    if (activity.athlete?.id !== undefined && activity.athlete.id !== e.owner_id) return 'ignored';
    await upsertActivities(deps.sql, e.owner_id, [activity]);
  } catch (err) {
    if (!isStravaNotFound(err)) throw err;
    // Gone or made private since the event: Strava no longer shows it, neither do we.
    await deleteActivities(deps.sql, e.owner_id, [e.object_id]);
    await invalidateAthleteActivities(deps, e.owner_id, e.object_id);
    return 'deleted';
  }
  await invalidateAthleteActivities(deps, e.owner_id, e.object_id);
  return 'upserted';
}

/**
 * `GET /webhooks/strava`: subscription validation. `POST /webhooks/strava`: an event. Activity
 * create/update → fetched and upserted; delete → removed; athlete deauthorization → tokens
 * dropped, every session revoked, caches purged. Each delivery is processed once.
 */
export function createStravaWebhookHandler(deps: FunctionDeps): Handler {
  return handler(async (event) => {
    const method = requireMethod(event, ['GET', 'POST']);
    if (method === 'GET') return validateSubscription(event, deps);
    const e = parseWebhookEvent(jsonBody(event));
    if (!(await claimEvent(deps, e))) return json(200, { status: 'duplicate' satisfies WebhookOutcome });
    const outcome = await processEvent(deps, e);
    await deps.sql.query('update public.strava_webhook_events set processed_at = $2 where event_key = $1', [
      eventKey(e),
      new Date(deps.clock.now()).toISOString(),
    ]);
    return json(200, { status: outcome });
  }, logUnexpected(deps, 'strava-webhook'));
}
