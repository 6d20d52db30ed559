import { badRequest } from './http.js';
import { storableJson } from './jsonb.js';
import { isUnixSeconds, parseId } from './query.js';

export type ObjectType = 'activity' | 'athlete';
export type AspectType = 'create' | 'update' | 'delete';

/** A Strava webhook event, validated. */
export interface WebhookEvent {
  object_type: ObjectType;
  object_id: number;
  aspect_type: AspectType;
  owner_id: number;
  /** Unix seconds. */
  event_time: number;
  updates: Record<string, unknown>;
  subscription_id?: number;
}

const OBJECT_TYPES: readonly string[] = ['activity', 'athlete'];
const ASPECT_TYPES: readonly string[] = ['create', 'update', 'delete'];

export function parseWebhookEvent(body: Record<string, unknown>): WebhookEvent {
  const objectType = body['object_type'];
  const aspectType = body['aspect_type'];
  if (typeof objectType !== 'string' || !OBJECT_TYPES.includes(objectType)) {
    throw badRequest('INVALID_EVENT', 'object_type must be "activity" or "athlete"');
  }
  if (typeof aspectType !== 'string' || !ASPECT_TYPES.includes(aspectType)) {
    throw badRequest('INVALID_EVENT', 'aspect_type must be "create", "update" or "delete"');
  }
  const eventTime = body['event_time'];
  if (!isUnixSeconds(eventTime)) throw badRequest('INVALID_EVENT', 'event_time must be unix seconds (1970 to 9999)');
  const raw = body['updates'] ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw badRequest('INVALID_EVENT', 'updates must be an object');
  }
  // Kept as sent but storable: a NUL in a new title must not lose the event (the activity itself
  // is fetched from Strava), so such characters become U+FFFD; only absurd nesting is refused.
  const updates = storableJson(raw);
  if (updates === undefined) throw badRequest('INVALID_EVENT', 'updates is nested too deeply');
  const sub = body['subscription_id'];
  return {
    object_type: objectType as ObjectType,
    aspect_type: aspectType as AspectType,
    object_id: parseId(body['object_id'], 'object_id'),
    owner_id: parseId(body['owner_id'], 'owner_id'),
    event_time: eventTime,
    updates: updates as Record<string, unknown>,
    ...(typeof sub === 'number' ? { subscription_id: sub } : {}),
  };
}

/** `{object_type}:{object_id}:{aspect_type}:{event_time}:{owner_id}`: duplicate deliveries share it. */
export const eventKey = (e: WebhookEvent): string =>
  `${e.object_type}:${e.object_id}:${e.aspect_type}:${e.event_time}:${e.owner_id}`;

/** Strava sends `"authorized": "false"` (a string) when the athlete revokes access. */
export const isDeauthorization = (e: WebhookEvent): boolean =>
  e.object_type === 'athlete' && String(e.updates['authorized']) === 'false';
