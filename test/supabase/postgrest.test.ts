import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { signJwt } from '../../src/auth/jwt.js';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { ATHLETE_A, ATHLETE_B, SECRET, pgliteDb, postgresDb, startHarness, type Harness, type TestDb } from './harness.js';

/**
 * The shipped schema lets only the service create activities (their id is Strava's); the write-path
 * tests below exercise PostgREST's insert/upsert semantics, so they grant a user those writes for
 * the test's duration (a policy and the table-wide grants), and take them back after.
 */
async function grantUserActivityWrites(h: Harness): Promise<void> {
  await h.sql.exec(`grant insert, update on public.activities to authenticated;
    create policy activities_insert_for_test on public.activities for insert to authenticated
      with check (athlete_id in (select id from public.athletes where user_id = (select auth.uid())))`);
  h.clock.advance(2000);
  onTestFinished(async () => {
    await h.sql.exec(`drop policy activities_insert_for_test on public.activities;
      revoke insert, update on public.activities from authenticated;
      grant update (name, type, sport_type, start_date, start_date_local, timezone, distance, moving_time, elapsed_time,
        total_elevation_gain, average_speed, max_speed, average_heartrate, max_heartrate, average_watts,
        weighted_average_watts, kilojoules, device_watts, has_heartrate, average_cadence, updated_at) on public.activities to authenticated`);
    h.clock.advance(2000);
  });
}

function restSuite(open: () => Promise<TestDb>): void {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(open);
  });
  afterAll(async () => {
    await h.close();
  });

  it("the production helpers run unchanged: athlete by user_id, then the caller's 30 latest activities", async () => {
    const jwt = h.tokenFor(ATHLETE_A);
    const supabase = h.asUser(jwt);
    const { data: user, error: userError } = await supabase.auth.getUser(jwt);
    expect(userError).toBeNull();
    const { data: athlete, error } = await supabase.from('athletes').select('id').eq('user_id', user.user!.id).single();
    expect(error).toBeNull();
    expect(athlete).toEqual({ id: ATHLETE_A });
    const { data: rides, error: e2 } = await supabase
      .from('activities')
      .select('*')
      .eq('athlete_id', athlete!.id)
      .order('start_date', { ascending: false })
      .limit(30);
    expect(e2).toBeNull();
    expect(rides).toHaveLength(30);
    expect(rides!.every((r) => r.athlete_id === ATHLETE_A)).toBe(true);
    expect(rides![0].start_date).toBe('2026-03-12T07:00:00+00:00');
    expect(rides![0].start_date > rides![1].start_date).toBe(true);
  });

  it("RLS decides: a user asking for another athlete's rows gets none, even without filters", async () => {
    const supabase = h.asUser(h.tokenFor(ATHLETE_A));
    const { data: theirs } = await supabase.from('activities').select('id').eq('athlete_id', ATHLETE_B);
    expect(theirs).toEqual([]);
    const { data: all, count } = await supabase.from('activities').select('athlete_id', { count: 'exact' });
    expect(count).toBe(40);
    expect(new Set(all!.map((r) => r.athlete_id))).toEqual(new Set([ATHLETE_A]));
    const { data: athletes } = await supabase.from('athletes').select('id');
    expect(athletes).toEqual([{ id: ATHLETE_A }]);
  });

  it('concurrent requests of different users and roles never see each other\'s rows', async () => {
    const a = h.asUser(h.tokenFor(ATHLETE_A));
    const b = h.asUser(h.tokenFor(ATHLETE_B));
    const anon = h.anon();
    const runs = Array.from({ length: 8 }, () => [
      a.from('activities').select('athlete_id').then((r) => ({ who: ATHLETE_A, rows: r.data! })),
      b.from('activities').select('athlete_id').then((r) => ({ who: ATHLETE_B, rows: r.data! })),
      anon.from('activities').select('athlete_id').then((r) => ({ who: 0, rows: r.data! })),
    ]).flat();
    for (const { who, rows } of await Promise.all(runs)) {
      expect(rows.length).toBe(who === ATHLETE_A ? 40 : who === ATHLETE_B ? 5 : 0);
      expect(rows.every((r) => r.athlete_id === who)).toBe(true);
    }
  });

  it('the anon key sees nothing', async () => {
    const anon = h.anon();
    for (const table of ['athletes', 'activities', 'auth_sessions', 'refresh_tokens']) {
      const { data, error } = await anon.from(table).select('*');
      expect(error).toBeNull();
      expect(data).toEqual([]);
    }
  });

  it('the service role sees every athlete', async () => {
    const { data, count } = await h.service().from('athletes').select('id', { count: 'exact' }).order('id');
    expect(count).toBe(2);
    expect(data).toEqual([{ id: ATHLETE_B }, { id: ATHLETE_A }]);
  });

  it('a forged or expired JWT is refused with 401 PGRST301/PGRST303', async () => {
    const forged = signJwt(
      { sub: userIdForAthlete(ATHLETE_B), role: 'service_role', aud: 'authenticated', exp: 4102444800, iat: 1 },
      'not-the-secret-not-the-secret-not-the-secret',
    );
    const { data, error, status } = await h.asUser(forged).from('activities').select('*');
    expect(status).toBe(401);
    expect(data).toBeNull();
    expect(error).toMatchObject({ code: 'PGRST301' });
    const expired = signJwt({ sub: userIdForAthlete(ATHLETE_A), role: 'authenticated', aud: 'authenticated', exp: 1000, iat: 1 }, SECRET);
    const res = await h.asUser(expired).from('activities').select('*');
    expect(res.status).toBe(401);
    expect(res.error?.code).toBe('PGRST303');
    const none = await fetch(`${h.url}/rest/v1/activities`);
    expect(none.status).toBe(401);
    const forgedKey = await h.fetch('/rest/v1/activities', { key: h.keys.anonKey.slice(0, -3) + 'abc' });
    expect(forgedKey.status).toBe(401);
    expect(await forgedKey.json()).toMatchObject({ code: 'PGRST301' });
  });

  it('single() with zero rows is 406 PGRST116; maybeSingle() gives null', async () => {
    const supabase = h.asUser(h.tokenFor(ATHLETE_A));
    const single = await supabase.from('athletes').select('id').eq('id', ATHLETE_B).single();
    expect(single.status).toBe(406);
    expect(single.error).toMatchObject({ code: 'PGRST116', details: 'The result contains 0 rows' });
    const maybe = await supabase.from('athletes').select('id').eq('id', ATHLETE_B).maybeSingle();
    expect(maybe.error).toBeNull();
    expect(maybe.data).toBeNull();
    const many = await h.service().from('athletes').select('id').single();
    expect(many.error?.code).toBe('PGRST116');
  });

  it('filters gt/gte/lt/lte/neq/in/is/like/ilike, range and offset select the right rows', async () => {
    const s = h.asUser(h.tokenFor(ATHLETE_A));
    const base = ATHLETE_A * 1000;
    const ids = async (q: PromiseLike<{ data: { id: number }[] | null; error: unknown }>): Promise<number[]> => {
      const { data, error } = await q;
      expect(error).toBeNull();
      return data!.map((r) => r.id - base);
    };
    expect(await ids(s.from('activities').select('id').gt('moving_time', 3600 + 36).order('id'))).toEqual([37, 38, 39]);
    expect(await ids(s.from('activities').select('id').gte('id', base + 38).lte('id', base + 39).order('id'))).toEqual([38, 39]);
    expect(await ids(s.from('activities').select('id').lt('id', base + 3).neq('id', base + 1).order('id'))).toEqual([0, 2]);
    expect(await ids(s.from('activities').select('id').in('id', [base + 5, base + 7, 1]).order('id'))).toEqual([5, 7]);
    expect(await ids(s.from('activities').select('id').in('name', ['Ride 3 of 104662', 'a,b(c)']).order('id'))).toEqual([3]);
    expect(await ids(s.from('activities').select('id').like('name', 'Ride 1_ of%').order('id', { ascending: false }).limit(2))).toEqual([19, 18]);
    expect(await ids(s.from('activities').select('id').ilike('name', 'RIDE 2* OF*').order('id').range(1, 2))).toEqual([20, 21]);
    expect(await ids(s.from('activities').select('id').is('average_watts', null).order('id').limit(2).range(0, 1))).toEqual([0, 1]);
    expect(await ids(s.from('activities').select('id').not('average_watts', 'is', null))).toEqual([]);
    expect(await ids(s.from('activities').select('id').order('id').range(38, 45))).toEqual([38, 39]);
  });

  it('Range header and count=exact give Content-Range like PostgREST', async () => {
    const res = await h.fetch('/rest/v1/activities?select=id&order=id', {
      jwt: h.tokenFor(ATHLETE_A),
      headers: { Range: '5-9', 'Range-Unit': 'items', Prefer: 'count=exact' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-range')).toBe('5-9/40');
    expect(((await res.json()) as unknown[]).length).toBe(5);
  });

  it('column lists with aliases and ordering with nulls placement', async () => {
    const s = h.asUser(h.tokenFor(ATHLETE_A));
    const { data, error } = await s
      .from('activities')
      .select('ride:name, distance')
      .order('average_watts', { ascending: true, nullsFirst: true })
      .order('id', { ascending: false })
      .limit(1);
    expect(error).toBeNull();
    expect(data).toEqual([{ ride: 'Ride 39 of 104662', distance: 59000 }]);
  });

  it('a user cannot create an activity (its id is Strava\'s) nor move one to another id: 403 42501', async () => {
    const s = h.asUser(h.tokenFor(ATHLETE_A));
    const ins = await s.from('activities').insert({ id: 990001, athlete_id: ATHLETE_A, name: 'mine?', type: 'Ride', sport_type: 'Ride', start_date: '2026-04-01T06:00:00Z', start_date_local: '2026-04-01T08:00:00' });
    expect(ins.status).toBe(403);
    expect(ins.error?.code).toBe('42501');
    const { data: own } = await s.from('activities').select('id').limit(1).single();
    const rekey = await s.from('activities').update({ id: 990002 }).eq('id', own!.id);
    expect(rekey.error?.code).toBe('42501');
    const rename = await s.from('activities').update({ name: 'renamed by its owner' }).eq('id', own!.id).select('name');
    expect(rename.data).toEqual([{ name: 'renamed by its owner' }]);
  });

  it('insert, upsert, update and delete go through RLS', async () => {
    await grantUserActivityWrites(h);
    const s = h.asUser(h.tokenFor(ATHLETE_A));
    const row = (id: number, name: string, athleteId = ATHLETE_A) => ({
      id,
      athlete_id: athleteId,
      name,
      type: 'Ride',
      sport_type: 'Ride',
      start_date: '2026-04-01T06:00:00Z',
      start_date_local: '2026-04-01T08:00:00',
    });
    const ins = await s.from('activities').insert([row(900001, 'new A'), row(900002, 'new B')]).select('id, name');
    expect(ins.error).toBeNull();
    expect(ins.status).toBe(201);
    expect(ins.data).toEqual([
      { id: 900001, name: 'new A' },
      { id: 900002, name: 'new B' },
    ]);
    const dup = await s.from('activities').insert(row(900001, 'again'));
    expect(dup.status).toBe(409);
    expect(dup.error?.code).toBe('23505');

    const up = await s.from('activities').upsert(row(900001, 'renamed'), { onConflict: 'id' }).select('name').single();
    expect(up.error).toBeNull();
    expect(up.data).toEqual({ name: 'renamed' });
    const ignored = await s.from('activities').upsert(row(900001, 'ignored'), { ignoreDuplicates: true }).select();
    expect(ignored.data).toEqual([]);

    const foreign = await s.from('activities').insert(row(900003, 'for B', ATHLETE_B));
    expect(foreign.status).toBe(403);
    expect(foreign.error?.code).toBe('42501');

    const upd = await s.from('activities').update({ name: 'patched' }).eq('id', 900002).select('id, name');
    expect(upd.data).toEqual([{ id: 900002, name: 'patched' }]);
    const updOther = await s.from('activities').update({ name: 'hacked' }).eq('athlete_id', ATHLETE_B).select();
    expect(updOther.data).toEqual([]);

    const del = await s.from('activities').delete().in('id', [900001, 900002]);
    expect(del.status).toBe(204);
    const delOther = await s.from('activities').delete().eq('athlete_id', ATHLETE_B);
    expect(delOther.error).toBeNull();
    const { rows } = await h.sql.query(`select count(*)::int as n from public.activities where athlete_id = $1 and name <> 'hacked'`, [ATHLETE_B]);
    expect(rows[0]).toEqual({ n: 5 });
    expect((await h.sql.query(`select 1 from public.activities where id between 900000 and 900010`)).rowCount).toBe(0);
  });

  it('head requests count without a body; bulk insert with defaultToNull:false keeps column defaults', async () => {
    await grantUserActivityWrites(h);
    const s = h.asUser(h.tokenFor(ATHLETE_A));
    const head = await s.from('activities').select('*', { count: 'exact', head: true }).gte('moving_time', 3600 + 30);
    expect(head.error).toBeNull();
    expect(head.data).toBeNull();
    expect(head.count).toBe(10);
    const base = { athlete_id: ATHLETE_A, type: 'Ride', sport_type: 'Ride', start_date: '2026-05-01T06:00:00Z', start_date_local: '2026-05-01T08:00:00' };
    const ins = await s
      .from('activities')
      .insert([{ ...base, id: 910001, name: 'short', distance: 1000 }, { ...base, id: 910002, name: 'no distance' }], { defaultToNull: false })
      .select('id, distance, device_watts')
      .order('id');
    expect(ins.error).toBeNull();
    expect(ins.data).toEqual([
      { id: 910001, distance: 1000, device_watts: false },
      { id: 910002, distance: 0, device_watts: false },
    ]);
    const nulls = await s.from('activities').insert([{ ...base, id: 910003, name: 'a', distance: 5 }, { ...base, id: 910004, name: 'b' }]);
    expect(nulls.status).toBe(400);
    expect(nulls.error?.code).toBe('23502');
    expect((await s.from('activities').delete().in('id', [910001, 910002]).select('id')).data).toHaveLength(2);
  });

  it('a table or column added while serving is found after a schema reload', async () => {
    const s = h.service();
    expect((await s.from('gear').select('*')).status).toBe(404);
    await h.sql.exec(`create table public.gear (id bigint primary key, name text); grant select on public.gear to service_role`);
    h.clock.advance(2000);
    expect((await s.from('gear').select('*')).data).toEqual([]);
    await h.sql.exec(`alter table public.gear add column weight real`);
    expect((await s.from('gear').select('weight')).error?.code).toBe('42703');
    h.clock.advance(2000);
    expect((await s.from('gear').select('weight')).error).toBeNull();
    await h.sql.exec(`drop table public.gear`);
  });

  it('unknown tables are 404 PGRST205 and unknown columns 400 42703', async () => {
    const s = h.asUser(h.tokenFor(ATHLETE_A));
    const t = await s.from('nope').select('*');
    expect(t.status).toBe(404);
    expect(t.error?.code).toBe('PGRST205');
    const c = await s.from('activities').select('nope');
    expect(c.status).toBe(400);
    expect(c.error?.code).toBe('42703');
    const auth = await h.service().from('users').select('*');
    expect(auth.status).toBe(404);
  });
}

describe('PostgREST subset with supabase-js (embedded PGlite)', () => {
  restSuite(pgliteDb);
});

describe.skipIf(!process.env.DATABASE_URL)('PostgREST subset with supabase-js (PostgreSQL server)', () => {
  restSuite(postgresDb);
});
