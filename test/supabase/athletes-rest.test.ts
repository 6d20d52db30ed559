import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { ATHLETE_A, ATHLETE_B, pgliteDb, postgresDb, startHarness, type Harness, type TestDb } from './harness.js';

const TOKEN_COLUMNS = ['strava_access_token', 'strava_refresh_token'];

/** Issue 15 §1 and §2 through /rest/v1 with supabase-js, as an app's user would try it. */
function athletesRestSuite(open: () => Promise<TestDb>): void {
  let h: Harness;
  let bRide: number;
  beforeAll(async () => {
    h = await startHarness(open);
    await h.sql.query(`update public.athletes set strava_access_token = 'secret-access', strava_refresh_token = 'secret-refresh'`);
    bRide = ATHLETE_B * 1000;
  }, 120_000);
  afterAll(async () => h?.close());

  it("select('*') as a user answers its own row without the Strava tokens; asking for them is 403 42501", async () => {
    const s = h.asUser(h.tokenFor(ATHLETE_A));
    const all = await s.from('athletes').select('*');
    expect(all.error).toBeNull();
    expect(all.data).toHaveLength(1);
    expect(all.data![0]).toMatchObject({ id: ATHLETE_A, user_id: userIdForAthlete(ATHLETE_A), firstname: 'Rider' });
    for (const col of TOKEN_COLUMNS) {
      expect(Object.keys(all.data![0])).not.toContain(col);
      const asked = await s.from('athletes').select(col);
      expect(asked.status).toBe(403);
      expect(asked.error?.code).toBe('42501');
    }
    const filtered = await s.from('athletes').select('id').not('strava_access_token', 'is', null);
    expect(filtered.error?.code).toBe('42501');
    const service = await h.service().from('athletes').select('*').eq('id', ATHLETE_A).single();
    expect(service.data?.strava_access_token).toBe('secret-access');
  });

  it('a user cannot create an athlete row, nor change its id or user_id; its profile it may edit', async () => {
    const s = h.asUser(h.tokenFor(ATHLETE_A));
    const claim = await s.from('athletes').insert({ id: 424242, user_id: userIdForAthlete(ATHLETE_A) });
    expect(claim.status).toBe(403);
    expect(claim.error?.code).toBe('42501');
    const rekey = await s.from('athletes').update({ id: 424242 }).eq('id', ATHLETE_A);
    expect(rekey.error?.code).toBe('42501');
    const reown = await s.from('athletes').update({ user_id: userIdForAthlete(ATHLETE_B) }).eq('id', ATHLETE_A);
    expect(reown.error?.code).toBe('42501');
    const profile = await s.from('athletes').update({ ftp: 280, weight: 71.5 }).eq('id', ATHLETE_A).select().single();
    expect(profile.error).toBeNull();
    expect(profile.data).toMatchObject({ id: ATHLETE_A, ftp: 280, weight: 71.5 });
    expect(Object.keys(profile.data!)).not.toContain('strava_access_token');
    const { rows } = await h.sql.query<{ id: string; user_id: string }>('select id::text as id, user_id::text as user_id from public.athletes order by id');
    expect(rows).toEqual([
      { id: String(ATHLETE_B), user_id: userIdForAthlete(ATHLETE_B) },
      { id: String(ATHLETE_A), user_id: userIdForAthlete(ATHLETE_A) },
    ]);
  });

  it("a stream row for another tenant's activity is refused, whichever athlete it names", async () => {
    const s = h.asUser(h.tokenFor(ATHLETE_A));
    for (const athleteId of [ATHLETE_A, ATHLETE_B]) {
      const res = await s.from('activity_streams').insert({ activity_id: bRide, athlete_id: athleteId, stream_type: 'watts', data: [1, 2] });
      expect(res.status).toBe(403);
      expect(res.error?.code).toBe('42501');
    }
    const own = await s.from('activity_streams').insert({ activity_id: ATHLETE_A * 1000, athlete_id: ATHLETE_A, stream_type: 'watts', data: [1, 2] }).select('*');
    expect(own.error).toBeNull();
    expect(own.data).toMatchObject([{ activity_id: ATHLETE_A * 1000, stream_type: 'watts', data: [1, 2] }]);
    expect((await h.sql.query('select 1 from public.activity_streams where activity_id = $1', [bRide])).rowCount).toBe(0);
  });
}

describe('athletes and streams over /rest/v1 on PGlite', () => athletesRestSuite(pgliteDb));
describe.skipIf(!process.env.DATABASE_URL)('athletes and streams over /rest/v1 on Postgres', () => athletesRestSuite(postgresDb));
