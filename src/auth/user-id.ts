import { createHash } from 'node:crypto';
import type { Queryable } from '../db/sql.js';

/** Namespace for athlete → user uuids (RFC 4122 v5). Fixed forever: changing it orphans users. */
const ATHLETE_NAMESPACE = '6f1d2c3e-8b4a-5d6e-9f70-a1b2c3d4e5f6';

function uuidv5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const MEMO_MAX = 10_000;
const memo = new Map<string, string>();

/** The stable auth user id of a Strava athlete: `token mint --athlete N` and `seed` agree on it. */
export function userIdForAthlete(athleteId: number | string): string {
  const key = String(athleteId);
  let id = memo.get(key);
  if (id === undefined) {
    // Every authenticated request checks its token's athlete claim against this: hash once.
    id = uuidv5(`strava:${key}`, ATHLETE_NAMESPACE);
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(key, id);
  }
  return id;
}

/** The auth user's email for a Strava athlete. */
export function emailForAthlete(athleteId: number | string): string {
  return `strava-${athleteId}@veloready.app`;
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The athlete's auth user as stored (athletes.user_id): in production a real auth.users id, which
 * need not be `userIdForAthlete`'s. Undefined when the athlete has no row.
 */
export async function storedUserIdOf(q: Queryable, athleteId: number): Promise<string | undefined> {
  const { rows } = await q.query<{ user_id: string | null }>('select user_id::text as user_id from public.athletes where id = $1', [athleteId]);
  return rows[0]?.user_id ?? undefined;
}
