import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { mintAccessToken, verifyAccessToken } from '../../src/auth/jwt.js';
import { emailForAthlete, userIdForAthlete } from '../../src/auth/user-id.js';
import { withClaims } from '../../src/db/rls.js';
import type { Sql } from '../../src/db/sql.js';
import { seedDatabase, type SeedProgress } from '../../src/seed/seed.js';
import { FIRST_ATHLETE_ID, generateActivities, generateAthlete } from '../../src/strava/generator.js';
import { migratedPglite, migratedPostgres, type PostgresTestDb } from '../helpers/db.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const SECRET = 'seed-test-secret-at-least-32-characters-long';

const count = async (sql: Sql, table: string): Promise<number> =>
  Number((await sql.query<{ n: string }>(`select count(*)::text as n from ${table}`)).rows[0]!.n);

function seedSuite(name: string, open: () => Promise<{ sql: Sql; close: () => Promise<void> }>) {
  describe(name, () => {
    let sql: Sql;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ sql, close } = await open());
    }, 60_000);
    afterAll(async () => close?.());

    it('writes users, athletes, activities and streams matching the generator', async () => {
      const clock = new ManualClock(NOW);
      const events: SeedProgress[] = [];
      const result = await seedDatabase(sql, { athletes: 4, days: 60, seed: 42, athleteIds: [104662], withStreams: true, streamDays: 2, clock, onProgress: (p) => events.push(p) });
      const expected = [0, 1, 2, 3].map((i) => generateActivities(generateAthlete(42, i), { endMs: NOW, days: 60 }).length);
      expect(result.inserted.users).toBe(5);
      expect(result.inserted.athletes).toBe(5);
      expect(result.generated.activities).toBeGreaterThan(expected.reduce((a, b) => a + b, 0));
      expect(result.inserted.activities).toBe(result.generated.activities);
      expect(result.inserted.streams).toBe(result.generated.streams);
      expect(result.generated.streams).toBeGreaterThan(0);
      expect(await count(sql, 'public.activities')).toBe(result.generated.activities);
      expect(await count(sql, 'public.activity_streams')).toBe(result.generated.streams);
      const user = await sql.query<{ id: string; email: string; seeded: string }>(
        `select id::text, email, raw_app_meta_data->>'seeded' as seeded from auth.users where email = $1`, [emailForAthlete(FIRST_ATHLETE_ID)]);
      expect(user.rows[0]).toEqual({ id: userIdForAthlete(FIRST_ATHLETE_ID), email: emailForAthlete(FIRST_ATHLETE_ID), seeded: 'true' });
      const own = await sql.query<{ n: string }>('select count(*)::text as n from public.activities where athlete_id = $1', [FIRST_ATHLETE_ID]);
      expect(Number(own.rows[0]!.n)).toBe(expected[0]);
      const stream = await sql.query<{ data: unknown[] }>(`select data from public.activity_streams where stream_type = 'time' limit 1`);
      expect(stream.rows[0]!.data.length).toBeGreaterThan(100);
      const summary = generateActivities(generateAthlete(42, 0), { endMs: NOW, days: 60 }).at(-1)!;
      const row = await sql.query<Record<string, unknown>>(
        `select to_char(start_date at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as start_date,
                to_char(start_date_local, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as start_date_local,
                distance, moving_time, average_watts, weighted_average_watts, average_heartrate, device_watts, has_heartrate, name, timezone
           from public.activities where id = $1`, [summary.id]);
      expect(row.rows[0]).toEqual({
        start_date: summary.start_date, start_date_local: summary.start_date_local, distance: summary.distance,
        moving_time: summary.moving_time, average_watts: summary.average_watts ?? null,
        weighted_average_watts: summary.weighted_average_watts ?? null, average_heartrate: summary.average_heartrate ?? null,
        device_watts: summary.device_watts, has_heartrate: summary.has_heartrate, name: summary.name, timezone: summary.timezone,
      });
      expect(events.map((e) => e.phase)).toEqual(expect.arrayContaining(['athletes', 'activities', 'streams']));
    });

    it('changes nothing when run twice', async () => {
      const before = await sql.query('select id, updated_at, name from public.activities order by id');
      const again = await seedDatabase(sql, { athletes: 4, days: 60, seed: 42, athleteIds: [104662], withStreams: true, streamDays: 2, clock: new ManualClock(NOW + 3_600_000) });
      expect(again.inserted).toEqual({ users: 0, athletes: 0, activities: 0, streams: 0 });
      const after = await sql.query('select id, updated_at, name from public.activities order by id');
      expect(after.rows).toEqual(before.rows);
    });

    it('lets a seeded user\'s token see only its own rows under RLS', async () => {
      const clock = new ManualClock(NOW);
      const { token } = mintAccessToken({ secret: SECRET, clock, athleteId: FIRST_ATHLETE_ID });
      const claims = verifyAccessToken(token, { secret: SECRET, clock });
      const seen = await withClaims(sql, claims as unknown as Record<string, unknown>, async (tx) => ({
        athletes: (await tx.query<{ id: string }>('select id::text from public.athletes')).rows.map((r) => Number(r.id)),
        activityOwners: (await tx.query<{ athlete_id: string }>('select distinct athlete_id::text from public.activities')).rows.map((r) => Number(r.athlete_id)),
        streamOwners: (await tx.query<{ athlete_id: string }>('select distinct athlete_id::text from public.activity_streams')).rows.map((r) => Number(r.athlete_id)),
      }));
      expect(seen.athletes).toEqual([FIRST_ATHLETE_ID]);
      expect(seen.activityOwners).toEqual([FIRST_ATHLETE_ID]);
      expect(seen.streamOwners.every((id) => id === FIRST_ATHLETE_ID)).toBe(true);
    });

    it('reset replaces seeded data and leaves other users alone', async () => {
      await sql.query(`insert into auth.users (id, email) values ('00000000-0000-4000-8000-000000000001', 'real@example.com')`);
      await sql.query(`insert into public.athletes (id, user_id, firstname) values (7, '00000000-0000-4000-8000-000000000001', 'Real')`);
      await sql.query(`insert into public.activities (id, athlete_id, name, type, sport_type, start_date, start_date_local) values (70, 7, 'Real ride', 'Ride', 'Ride', now(), now())`);
      const result = await seedDatabase(sql, { athletes: 2, days: 10, seed: 7, reset: true, clock: new ManualClock(NOW) });
      expect(result.deletedUsers).toBe(5);
      expect(await count(sql, 'public.athletes')).toBe(3);
      expect(await count(sql, 'public.activity_streams')).toBe(0);
      expect(await count(sql, 'public.activities')).toBe(result.generated.activities + 1);
      const real = await sql.query(`select name from public.activities where id = 70`);
      expect(real.rows).toEqual([{ name: 'Real ride' }]);
    });

    it('rejects out-of-range options as usage errors', async () => {
      await expect(seedDatabase(sql, { athletes: -1, days: 10, seed: 1 })).rejects.toMatchObject({ code: 'SEED_ATHLETES', exitCode: 2 });
      await expect(seedDatabase(sql, { athletes: 1, days: 0, seed: 1 })).rejects.toMatchObject({ code: 'SEED_DAYS', exitCode: 2 });
    });
  });
}

seedSuite('seed on PGlite', async () => {
  const sql = await migratedPglite();
  return { sql, close: () => sql.close() };
});

describe.skipIf(!process.env.DATABASE_URL)('with DATABASE_URL', () => {
  seedSuite('seed on Postgres', async () => {
    const db: PostgresTestDb = await migratedPostgres();
    return { sql: db.sql, close: () => db.drop() };
  });
});
