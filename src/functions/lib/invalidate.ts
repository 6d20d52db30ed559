import { activitiesKey, athleteKeyPrefixes, streamsKey } from '../../cache/keys.js';
import { storedUserIdOf, userIdForAthlete } from '../../auth/user-id.js';
import type { BlobStore } from '../../blobs/store.js';
import type { FunctionDeps } from '../deps.js';
import { cacheStore } from './cache.js';

async function deletePrefix(store: BlobStore, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list({ prefix, ...(cursor ? { cursor } : {}) });
    for (const blob of page.blobs) {
      await store.delete(blob.key);
      deleted++;
    }
    cursor = page.cursor;
  } while (cursor);
  return deleted;
}

/**
 * The auth user the athlete's briefs are keyed by: athletes.user_id (a real auth.users id in
 * production), or the id derived from the athlete id for an athlete with no user row.
 */
async function briefOwner(deps: FunctionDeps, athleteId: number): Promise<string> {
  return (await storedUserIdOf(deps.sql, athleteId)) ?? userIdForAthlete(athleteId);
}

/**
 * Drops what a change to the athlete's activities makes stale: the activity list, the brief
 * (it reads training load), and the streams of the changed activity when given.
 */
export async function invalidateAthleteActivities(deps: FunctionDeps, athleteId: number, activityId?: number): Promise<void> {
  const store = cacheStore(deps);
  await store.delete(activitiesKey(athleteId));
  if (activityId !== undefined) await store.delete(streamsKey(athleteId, activityId));
  await deletePrefix(store, `${await briefOwner(deps, athleteId)}:`);
}

/** Every cache entry of the athlete (activities, streams, briefs): on deauthorization. */
export async function purgeAthlete(deps: FunctionDeps, athleteId: number): Promise<number> {
  const store = cacheStore(deps);
  let deleted = 0;
  for (const prefix of athleteKeyPrefixes(athleteId, await briefOwner(deps, athleteId))) deleted += await deletePrefix(store, prefix);
  return deleted;
}

/**
 * An athlete row that changed owner: every cache entry of the athlete (the previous owner may
 * have filled them) and the previous owner's briefs.
 */
export async function purgeReownedAthlete(deps: FunctionDeps, athleteId: number, previousOwner: string): Promise<number> {
  return (await purgeAthlete(deps, athleteId)) + (await deletePrefix(cacheStore(deps), `${previousOwner}:`));
}
