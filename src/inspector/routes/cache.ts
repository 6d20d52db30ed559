import { cacheStats, getCacheEntry, listCache, purgeCache, type CachePurgeOptions } from '../../blobs/cache-admin.js';
import { storedUserIdOf } from '../../auth/user-id.js';
import { CACHE_KINDS, CACHE_STORE, parseCacheKey, type CacheKind } from '../../cache/keys.js';
import { VeloError } from '../../errors.js';
import { ApiError, optionalNumber, type ApiRoute } from '../api-router.js';
import type { InspectorSources } from '../context.js';

/** Keys listed at once (a store can hold many; narrow by athlete or kind to see the rest). */
export const CACHE_KEYS_SHOWN = 1000;
/** Characters of a value shown (pretty-printed JSON or text). */
export const CACHE_VALUE_CHARS = 64 * 1024;

const kindOf = (value: unknown): CacheKind | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' && (CACHE_KINDS as readonly string[]).includes(value)) return value as CacheKind;
  throw new ApiError(400, 'INVALID_KIND', `kind must be one of ${CACHE_KINDS.join(', ')}`);
};
const storeOf = (value: unknown): string | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(value)) return value;
  throw new ApiError(400, 'INVALID_STORE', 'store must be a store name');
};

export function cacheRoutes(s: InspectorSources): ApiRoute[] {
  /** Brief keys carry the auth user id: shown as the athlete it belongs to. */
  async function athleteByUser(): Promise<Map<string, number>> {
    const { rows } = await s.sql.query<{ id: string; user_id: string }>('select id::text as id, user_id::text as user_id from public.athletes');
    return new Map(rows.map((r) => [r.user_id, Number(r.id)]));
  }

  return [
    {
      method: 'GET',
      path: '/cache',
      handler: async ({ query }) => {
        const athleteId = optionalNumber(query.get('athlete'), 'athlete', { min: 1 });
        const athleteUserId = athleteId !== undefined ? ((await storedUserIdOf(s.sql, athleteId)) ?? undefined) : undefined;
        const now = s.clock.now();
        const entries = await listCache(
          s.blobs,
          { store: storeOf(query.get('store')), kind: kindOf(query.get('kind')), ...(athleteId !== undefined ? { athleteId, athleteUserId } : {}) },
          now,
        );
        const users = await athleteByUser();
        entries.sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0));
        return {
          stores: await cacheStats(s.blobs, now),
          total: entries.length,
          entries: entries.slice(0, CACHE_KEYS_SHOWN).map((e) => {
            const parsed = parseCacheKey(e.key);
            return { ...e, athleteId: parsed.athleteId ?? (parsed.userId ? (users.get(parsed.userId) ?? null) : null) };
          }),
        };
      },
    },
    {
      method: 'GET',
      path: '/cache/value',
      handler: async ({ query }) => {
        const key = query.get('key');
        if (!key) throw new ApiError(400, 'KEY_REQUIRED', 'say which key: ?key=');
        try {
          const entry = await getCacheEntry(s.blobs, key, storeOf(query.get('store')) ?? CACHE_STORE);
          const text = entry.isJson ? JSON.stringify(entry.value, null, 2) : String(entry.value);
          return { store: entry.store, key: entry.key, size: entry.size, metadata: entry.metadata, isJson: entry.isJson, text: text.slice(0, CACHE_VALUE_CHARS), truncated: text.length > CACHE_VALUE_CHARS };
        } catch (err) {
          if (err instanceof VeloError && err.code === 'CACHE_KEY_NOT_FOUND') throw new ApiError(404, err.code, err.message);
          throw err;
        }
      },
    },
    {
      method: 'POST',
      path: '/cache/purge',
      handler: async ({ body }) => {
        const store = storeOf(body['store']);
        if (typeof body['key'] === 'string' && body['key']) {
          const key = body['key'];
          const target = s.blobs.store(store ?? CACHE_STORE);
          const existed = (await target.getMetadata(key)) !== null;
          await target.delete(key);
          return { purged: existed ? 1 : 0, bytes: null };
        }
        const athleteId = optionalNumber(body['athleteId'], 'athleteId', { min: 1 });
        const kind = kindOf(body['kind']);
        if (athleteId === undefined && kind === undefined) throw new ApiError(400, 'PURGE_NEEDS_FILTER', 'say what to purge: key, athleteId or kind');
        const opts: CachePurgeOptions = { ...(store ? { store } : {}), ...(kind ? { kind } : {}) };
        if (athleteId !== undefined) {
          opts.athleteId = athleteId;
          const userId = await storedUserIdOf(s.sql, athleteId);
          if (userId) opts.athleteUserId = userId;
        }
        const result = await purgeCache(s.blobs, opts, s.clock.now());
        return { purged: result.keys.length, bytes: result.bytes };
      },
    },
  ];
}
