import { userIdForAthlete } from '../auth/user-id.js';

/**
 * The cache key scheme, in one place: handlers write these keys and `veloready cache` reads,
 * purges and warms them. Every key is scoped to one athlete or user.
 */
export const CACHE_STORE = 'veloready-cache';
export const BRIEF_PROMPT_VERSION = 'v1';

export const ACTIVITIES_TTL_S = 24 * 3600;
export const STREAMS_TTL_S = 24 * 3600;
export const BRIEF_TTL_S = 24 * 3600;

export type CacheKind = 'activities' | 'streams' | 'brief';
export const CACHE_KINDS: readonly CacheKind[] = ['activities', 'streams', 'brief'];

export const activitiesKey = (athleteId: number | string): string => `activities:${athleteId}`;
export const streamsKey = (athleteId: number | string, activityId: number | string): string =>
  `streams:${athleteId}:${activityId}`;
export const briefKey = (userId: string, date: string, promptVersion = BRIEF_PROMPT_VERSION): string =>
  `${userId}:${date}:${promptVersion}`;

/**
 * Prefixes that together cover every key of one athlete (activities, streams, briefs). Briefs are
 * keyed by the athlete's auth user id: pass the real one (athletes.user_id) when it is known; the
 * id derived from the athlete id only matches users `seed` and `token mint` created.
 */
export function athleteKeyPrefixes(athleteId: number | string, userId = userIdForAthlete(athleteId)): string[] {
  return [activitiesKey(athleteId), `streams:${athleteId}:`, `${userId}:`];
}

/** Every key that belongs to the athlete, whatever its kind. */
export function keyBelongsToAthlete(key: string, athleteId: number | string, userId = userIdForAthlete(athleteId)): boolean {
  return key === activitiesKey(athleteId) || athleteKeyPrefixes(athleteId, userId).slice(1).some((p) => key.startsWith(p));
}

export interface ParsedCacheKey {
  kind: CacheKind | 'other';
  athleteId?: number;
  activityId?: number;
  userId?: string;
  date?: string;
  promptVersion?: string;
}

export function parseCacheKey(key: string): ParsedCacheKey {
  let m = /^activities:(\d+)$/.exec(key);
  if (m) return { kind: 'activities', athleteId: Number(m[1]) };
  m = /^streams:(\d+):(\d+)$/.exec(key);
  if (m) return { kind: 'streams', athleteId: Number(m[1]), activityId: Number(m[2]) };
  m = /^([0-9a-f-]{36}):(\d{4}-\d{2}-\d{2}):([^:]+)$/i.exec(key);
  if (m) return { kind: 'brief', userId: m[1], date: m[2], promptVersion: m[3] };
  return { kind: 'other' };
}

/** Key prefix selecting one kind across all athletes (briefs have no common prefix: filter with parseCacheKey). */
export const kindPrefix = (kind: CacheKind): string | undefined =>
  kind === 'activities' ? 'activities:' : kind === 'streams' ? 'streams:' : undefined;
