import { mintAccessToken } from '../../auth/jwt.js';
import { storedUserIdOf } from '../../auth/user-id.js';
import { purgeCache } from '../../blobs/cache-admin.js';
import { connectAthletesToFakeStrava, DEMO_ATHLETE_ID, ensureDemoData } from '../../serve/demo-data.js';
import { FIRST_ATHLETE_ID } from '../../strava/generator.js';
import { ApiError, wholeNumber, type ApiRoute } from '../api-router.js';
import type { InspectorSources } from '../context.js';

/** As `token mint --athlete` (one hour by default). */
export const INSPECTOR_TOKEN_TTL_S = 3600;
/** Athletes seeded per click: each brings a year of rides. */
export const MAX_SEED_PER_CALL = 50;
const ATHLETES_SHOWN = 500;

export function athleteRoutes(s: InspectorSources): ApiRoute[] {
  const generatedCount = async (): Promise<number> => {
    const { rows } = await s.sql.query<{ n: string }>('select count(*)::text as n from public.athletes where id >= $1', [FIRST_ATHLETE_ID]);
    return Number(rows[0]?.n ?? 0);
  };

  return [
    {
      method: 'GET',
      path: '/athletes',
      handler: async () => {
        const { rows } = await s.sql.query<{ id: string; firstname: string | null; lastname: string | null; activities: string; last_ride: string | null }>(
          `select a.id::text as id, a.firstname, a.lastname,
                  (select count(*) from public.activities x where x.athlete_id = a.id)::text as activities,
                  (select max(x.start_date) from public.activities x where x.athlete_id = a.id) as last_ride
             from public.athletes a order by a.id limit $1`,
          [ATHLETES_SHOWN],
        );
        return {
          athletes: rows.map((r) => ({
            id: Number(r.id),
            name: [r.firstname, r.lastname].filter(Boolean).join(' ') || null,
            demo: Number(r.id) === DEMO_ATHLETE_ID,
            activities: Number(r.activities),
            lastRide: r.last_ride ? new Date(r.last_ride).toISOString() : null,
          })),
        };
      },
    },
    {
      method: 'POST',
      path: '/athletes/:id/token',
      handler: async ({ params }) => {
        const athleteId = wholeNumber(params.id, 'athlete id', { min: 1 });
        const userId = await storedUserIdOf(s.sql, athleteId);
        if (!userId) throw new ApiError(404, 'ATHLETE_NOT_FOUND', `no athlete ${athleteId}`);
        const minted = mintAccessToken({ secret: s.jwtSecret, clock: s.clock, athleteId, userId, ttlSeconds: INSPECTOR_TOKEN_TTL_S, issuer: `${s.url}/auth/v1` });
        return { token: minted.token, expiresAt: minted.expiresAt.toISOString() };
      },
    },
    {
      method: 'POST',
      path: '/athletes/seed',
      handler: async ({ body }) => {
        const count = wholeNumber(body['count'], 'count', { min: 1, max: MAX_SEED_PER_CALL });
        const before = await generatedCount();
        const result = await ensureDemoData(s.sql, { seed: s.seed, clock: s.clock, extraAthletes: before + count });
        if (s.fakeStrava) await connectAthletesToFakeStrava(s.sql, s.fakeStrava);
        return { seeded: result?.inserted.athletes ?? 0, activities: result?.inserted.activities ?? 0 };
      },
    },
    {
      method: 'POST',
      path: '/athletes/reset',
      handler: async ({ body }) => {
        if (body['confirm'] !== true) throw new ApiError(400, 'CONFIRM_REQUIRED', 'resetting deletes every seeded athlete: send {"confirm": true}');
        const { deleteSeeded } = await import('../../seed/seed.js');
        const deleted = await s.sql.transaction((tx) => deleteSeeded(tx));
        const purged = await purgeCache(s.blobs, { all: true }, s.clock.now());
        await ensureDemoData(s.sql, { seed: s.seed, clock: s.clock });
        if (s.fakeStrava) await connectAthletesToFakeStrava(s.sql, s.fakeStrava);
        return { deletedUsers: deleted, purgedKeys: purged.keys.length };
      },
    },
  ];
}
