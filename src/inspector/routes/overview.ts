import { encodeBlobsContext, LOCAL_SITE_ID, BLOBS_CONTEXT_ENV } from '../../blobs/context.js';
import { CACHE_STORE } from '../../cache/keys.js';
import { localKeys } from '../../supabase/keys.js';
import type { ApiRoute } from '../api-router.js';
import type { InspectorSources } from '../context.js';

/** `GET /overview`: where everything is, the keys `veloready keys` prints, and counts. */
export function overviewRoutes(s: InspectorSources): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/overview',
      handler: async () => {
        const keys = localKeys(s.jwtSecret);
        const { rows } = await s.sql.query<{ athletes: string; activities: string; backfills: string }>(
          `select (select count(*) from public.athletes)::text as athletes,
                  (select count(*) from public.activities)::text as activities,
                  (select count(*) from public.backfill_jobs)::text as backfills`,
        );
        const counts = rows[0]!;
        let blobs = 0;
        for (const store of await s.blobs.listStores()) {
          let cursor: string | undefined;
          do {
            const page = await s.blobs.store(store).list({ cursor });
            blobs += page.blobs.length;
            cursor = page.cursor;
          } while (cursor);
        }
        return {
          urls: {
            api: s.url,
            supabase: s.url,
            blobs: s.url,
            inspector: `${s.url}/_/`,
            ...(s.fakeStrava ? { strava: `${s.url}/strava` } : {}),
            ...(s.pgPort !== undefined ? { postgres: `postgres://postgres@127.0.0.1:${s.pgPort}/postgres` } : {}),
          },
          keys: { SUPABASE_URL: s.url, SUPABASE_ANON_KEY: keys.anonKey, SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey },
          blobsContext: `${BLOBS_CONTEXT_ENV}=${encodeBlobsContext({ url: s.url, siteID: LOCAL_SITE_ID, token: s.blobsToken })}`,
          cacheStore: CACHE_STORE,
          database: s.database,
          counts: {
            athletes: Number(counts.athletes),
            activities: Number(counts.activities),
            blobs,
            jobs: s.emulator.jobs.list().length + Number(counts.backfills),
          },
        };
      },
    },
  ];
}
