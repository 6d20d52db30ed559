import type { Handler, NetlifyEvent, NetlifyResponse } from '../emulator/types.js';
import type { FunctionDeps } from './deps.js';
import { deleteActivities, upsertActivities } from './lib/activities.js';
import { jsonBody } from './lib/body.js';
import { disconnectAthlete } from './lib/disconnect.js';
import { handler, logUnexpected } from './lib/handle.js';
import { HttpError, json } from './lib/http.js';
import { invalidateAthleteActivities } from './lib/invalidate.js';
import { requireMethod } from './lib/method.js';
import { queryParam } from './lib/query.js';
import { stravaCredentials } from './lib/strava-creds.js';
import { activityGoneFromStrava, athleteRevokedOnStrava } from './lib/webhook-confirm.js';
import { isStravaNotFound } from './lib/strava-errors.js';
import { eventKey, isDeauthorization, parseWebhookEvent, type WebhookEvent } from './lib/webhook-event.js';

/** `unconfirmed`: a delete or deauthorization Strava does not confirm (forged, or stale): nothing done. */
export type WebhookOutcome = 'upserted' | 'deleted' | 'deauthorized' | 'ignored' | 'unconfirmed' | 'duplicate';

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

/**
 * How long a claimed delivery may run before another delivery of the same event may take it over
 * (the first one's process died mid-event). Far longer than a synchronous function may run.
 */
export const WEBHOOK_CLAIM_LEASE_S = 60;

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Claims the event for this delivery: true for exactly one of any number of concurrent deliveries.
 * A new event is inserted; a known one is taken over only when it was never processed and its
 * claim has outlived the lease. One statement, so the row lock decides the race on Postgres.
 */
async function claimEvent(deps: FunctionDeps, e: WebhookEvent): Promise<boolean> {
  const now = deps.clock.now();
  const { rows } = await deps.sql.query(
    `insert into public.strava_webhook_events (event_key, owner_id, object_type, object_id, aspect_type, updates, event_time, received_at)
     values ($1, $2, $3, $4, $5, $6::jsonb, to_timestamp($7), $8)
     on conflict (event_key) do update set received_at = excluded.received_at
       where strava_webhook_events.processed_at is null and strava_webhook_events.received_at <= $9
     returning id`,
    [eventKey(e), e.owner_id, e.object_type, e.object_id, e.aspect_type, JSON.stringify(e.updates), e.event_time,
      iso(now), iso(now - WEBHOOK_CLAIM_LEASE_S * 1000)],
  );
  return rows.length > 0;
}

/** A delivery whose processing failed gives its claim back, so Strava's retry processes the event. */
async function releaseClaim(deps: FunctionDeps, e: WebhookEvent): Promise<void> {
  await deps.sql.query('delete from public.strava_webhook_events where event_key = $1 and processed_at is null', [eventKey(e)]);
}

/** Deliveries name the push subscription they belong to; another one's (or none) is not ours. */
function checkSubscription(deps: FunctionDeps, e: WebhookEvent): void {
  const expected = deps.config.stravaSubscriptionId;
  if (expected !== undefined && e.subscription_id !== expected) {
    throw new HttpError(403, 'SUBSCRIPTION_MISMATCH', `subscription_id must be this site's Strava push subscription (${expected})`);
  }
}

async function athleteExists(deps: FunctionDeps, athleteId: number): Promise<boolean> {
  const { rows } = await deps.sql.query('select 1 from public.athletes where id = $1', [athleteId]);
  return rows.length > 0;
}

async function processEvent(deps: FunctionDeps, e: WebhookEvent): Promise<WebhookOutcome> {
  if (!(await athleteExists(deps, e.owner_id))) return 'ignored';
  if (e.object_type === 'athlete') {
    if (!isDeauthorization(e)) return 'ignored';
    if (!(await athleteRevokedOnStrava(deps, e.owner_id))) return 'unconfirmed';
    await disconnectAthlete(deps, e.owner_id, 'strava_deauthorized');
    return 'deauthorized';
  }
  if (e.aspect_type === 'delete') {
    if (!(await activityGoneFromStrava(deps, e.owner_id, e.object_id))) return 'unconfirmed';
    await deleteActivities(deps.sql, e.owner_id, [e.object_id]);
    await invalidateAthleteActivities(deps, e.owner_id, e.object_id);
    return 'deleted';
  }
  const creds = await stravaCredentials(deps.sql, e.owner_id, deps.clock);
  if (!creds) return 'ignored';
  try {
    const activity = await deps.strava.getActivity(creds, e.object_id);
    if (activity.athlete?.id !== undefined && activity.athlete.id !== e.owner_id) return 'ignored';
    await upsertActivities(deps.sql, e.owner_id, [activity], deps.clock.now());
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
 * create/update → fetched and upserted; delete → removed once Strava answers 404 for it; athlete
 * deauthorization → once Strava refuses the athlete's token: tokens dropped, every session
 * revoked, caches purged. Deliveries for another subscription_id are refused (403). Each event is processed once, however many
 * deliveries arrive together; one whose processing failed is processed by the next delivery.
 */
export function createStravaWebhookHandler(deps: FunctionDeps): Handler {
  return handler(async (event) => {
    const method = requireMethod(event, ['GET', 'POST']);
    if (method === 'GET') return validateSubscription(event, deps);
    const e = parseWebhookEvent(jsonBody(event));
    checkSubscription(deps, e);
    if (!(await claimEvent(deps, e))) return json(200, { status: 'duplicate' satisfies WebhookOutcome });
    let outcome: WebhookOutcome;
    try {
      outcome = await processEvent(deps, e);
    } catch (err) {
      await releaseClaim(deps, e).catch(() => undefined); // else the lease frees it
      throw err;
    }
    await deps.sql.query('update public.strava_webhook_events set processed_at = $2 where event_key = $1', [
      eventKey(e),
      iso(deps.clock.now()),
    ]);
    return json(200, { status: outcome });
  }, logUnexpected(deps, 'strava-webhook'));
}
