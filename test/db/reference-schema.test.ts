import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { ManualClock } from '../../src/clock.js';
import { migrate } from '../../src/db/migrate.js';
import { asUser } from '../../src/db/rls.js';
import { inRolledBackTransaction } from '../../src/db/rolled-back.js';
import type { Queryable, Sql } from '../../src/db/sql.js';
import { seedDatabase } from '../../src/seed/seed.js';
import { generateActivities, generateAthlete, planForActivityId } from '../../src/strava/generator.js';
import { generateStreams } from '../../src/strava/streams.js';
import { FIXTURES, freshDatabases, HAS_POSTGRES, pgliteBackend, postgresBackend, type Backend } from './backends.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
/** Two migrations from an empty cluster and a seed: slow on a shared machine. */
const TEST_TIMEOUT_MS = 120_000;
/** The last migration before activity_streams took the reference's shape. */
const BEFORE_STREAM_ROWS = '20261130000000';

/** What the seed wrote before the conversion: one row per activity, Strava's key_by_type object in `streams`. */
async function seedOldStreams(sql: Sql, athletes: number, days: number): Promise<Map<string, unknown>> {
  const expected = new Map<string, unknown>();
  for (let i = 0; i < athletes; i++) {
    const athlete = generateAthlete(7, i);
    for (const summary of generateActivities(athlete, { endMs: NOW, days }).slice(-2)) {
      const set = generateStreams(planForActivityId(athlete, summary.id)!);
      // JSON's way (-0 is written 0): what the old rows held.
      for (const [type, stream] of Object.entries(set)) expected.set(`${summary.id}:${type}`, JSON.parse(JSON.stringify(stream)));
      await sql.query(`insert into public.activity_streams (activity_id, athlete_id, streams, expires_at) values ($1, $2, $3::jsonb, null)`, [
        summary.id,
        athlete.profile.id,
        JSON.stringify(set),
      ]);
    }
  }
  return expected;
}

const claimsOf = (athleteId: number) => ({ sub: userIdForAthlete(athleteId), role: 'authenticated' });

interface Seeded {
  sql: Sql;
  /** The first two generated athletes and one activity of each. */
  a: number;
  b: number;
  aRide: number;
  bRide: number;
}

/** A migrated database seeded with streams. */
async function seed(sql: Sql): Promise<Seeded> {
  await seedDatabase(sql, { athletes: 2, days: 10, seed: 7, withStreams: true, streamDays: 10, clock: new ManualClock(NOW) });
  const [a, b] = [generateAthlete(7, 0).profile.id, generateAthlete(7, 1).profile.id];
  const ride = async (athlete: number): Promise<number> =>
    Number((await sql.query<{ id: string }>(`select activity_id::text as id from public.activity_streams where athlete_id = $1 limit 1`, [athlete])).rows[0]!.id);
  return { sql, a, b, aRide: await ride(a), bRide: await ride(b) };
}

/** As the user, inside a transaction rolled back: the error code Postgres answered, or 'ok'. */
async function asUserOutcome(sql: Sql, athleteId: number, text: string, params: unknown[] = []): Promise<string> {
  return inRolledBackTransaction(sql, async (tx) => {
    await asUser(tx, claimsOf(athleteId));
    try {
      const res = await tx.query(text, params);
      return res.rowCount === 0 ? 'no rows' : 'ok';
    } catch (err) {
      return String((err as { code?: string }).code);
    }
  });
}

function defineSchemaTests(backend: Backend): void {
  const open = freshDatabases(backend);
  // Seeded once for the tests that only read it or write in transactions they roll back.
  let shared: Promise<{ seeded: Seeded; done(): Promise<void> }> | undefined;
  const seeded = async (): Promise<Seeded> => {
    shared ??= backend.migrated().then(async (db) => ({ seeded: await seed(db.sql), done: db.done }));
    return (await shared).seeded;
  };
  afterAll(async () => (await shared)?.done());

  it('the conversion keeps every stream of a database seeded before it, one row per stream type', async () => {
    const sql = await open('empty');
    await migrate(sql, { to: BEFORE_STREAM_ROWS });
    await seedDatabase(sql, { athletes: 2, days: 5, seed: 7, clock: new ManualClock(NOW) });
    const expected = await seedOldStreams(sql, 2, 5);
    // A row a tenant wrote about another athlete's activity is a cache entry about someone else: not carried over.
    const [a, b] = [generateAthlete(7, 0), generateAthlete(7, 1)];
    const bRide = generateActivities(b, { endMs: NOW, days: 5 })[0]!.id;
    await sql.query(`insert into public.activity_streams (activity_id, athlete_id, streams) values ($1, $2, '{"watts":{"data":[999]}}')`, [
      bRide,
      a.profile.id,
    ]);

    await migrate(sql);
    const { rows } = await sql.query<{ activity_id: string; stream_type: string; data: unknown; series_type: string; original_size: number; resolution: string }>(
      `select activity_id::text as activity_id, stream_type, data, series_type, original_size, resolution from public.activity_streams`,
    );
    expect(rows.length).toBe(expected.size);
    for (const r of rows) {
      const stream = expected.get(`${r.activity_id}:${r.stream_type}`) as Record<string, unknown>;
      expect(stream, `${r.activity_id}:${r.stream_type}`).toBeDefined();
      expect({ data: r.data, series_type: r.series_type, original_size: r.original_size, resolution: r.resolution }).toEqual({
        data: stream['data'], series_type: stream['series_type'], original_size: stream['original_size'], resolution: stream['resolution'],
      });
    }
    expect(rows.some((r) => r.activity_id === String(bRide))).toBe(false);
  }, TEST_TIMEOUT_MS);

  it("production's own query works: select data from activity_streams where activity_id = $1 and stream_type = 'watts'", async () => {
    const { sql, aRide } = await seeded();
    const { rows } = await sql.query<{ data: number[] }>(`select data from activity_streams where activity_id = $1 and stream_type = 'watts'`, [aRide]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.data.length).toBeGreaterThan(100);
    expect(rows[0]!.data.every((w) => typeof w === 'number')).toBe(true);
  }, TEST_TIMEOUT_MS);

  it('every column of the reference schema exists with the same type, and its index names exist', async () => {
    const reference = await open('migrated', join(FIXTURES, 'reference-schema'));
    const { sql } = await seeded();
    const columns = async (q: Queryable): Promise<Map<string, string>> => {
      const { rows } = await q.query<{ col: string; type: string }>(
        `select table_name || '.' || column_name as col, data_type as type from information_schema.columns
          where table_schema = 'public' and table_name in ('athletes', 'activities', 'activity_streams')`,
      );
      return new Map(rows.map((r) => [r.col, r.type]));
    };
    const ours = await columns(sql);
    const theirs = await columns(reference);
    expect(theirs.size).toBe(10 + 19 + 7);
    for (const [col, type] of theirs) expect(`${col} ${ours.get(col)}`).toBe(`${col} ${type}`);
    const { rows } = await sql.query<{ name: string }>(
      `select indexname as name from pg_indexes where schemaname = 'public' and indexname like 'idx\\_%' order by 1`,
    );
    expect(rows.map((r) => r.name)).toEqual(['idx_activities_athlete_date', 'idx_activities_type', 'idx_streams_activity', 'idx_streams_expiry']);
  }, TEST_TIMEOUT_MS);

  it("the reference's RLS test as written: SET request.jwt.claim.sub, then SELECT * FROM activities as authenticated", async () => {
    const { sql, a, b } = await seeded();
    const own = Number((await sql.query<{ n: string }>('select count(*)::text as n from activities where athlete_id = $1', [a])).rows[0]!.n);
    expect(own).toBeGreaterThan(0);
    const seen = await inRolledBackTransaction(sql, async (tx) => {
      await tx.exec('set local role authenticated');
      await tx.exec(`SET request.jwt.claim.sub = '${userIdForAthlete(a)}'`);
      const all = await tx.query<{ athlete_id: string }>('SELECT * FROM activities');
      const theirs = await tx.query(`SELECT * FROM activities WHERE athlete_id = ${b}`);
      const missing = await tx.query('SELECT * FROM activities WHERE athlete_id = 999999');
      return { owners: new Set(all.rows.map((r) => String(r.athlete_id))), n: all.rows.length, theirs: theirs.rows.length, missing: missing.rows.length };
    });
    expect(seen).toEqual({ owners: new Set([String(a)]), n: own, theirs: 0, missing: 0 });
  }, TEST_TIMEOUT_MS);

  it('as authenticated, a user cannot create an athlete, re-key its id or user_id, or read Strava tokens; it may edit its profile', async () => {
    const { sql, a, b } = await seeded();
    const newcomer = await inRolledBackTransaction(sql, async (tx) => {
      await tx.query(`insert into auth.users (id, email) values ('0a77ac4e-0000-4000-8000-0000000000e1', 'no-athlete@example.com')`);
      await asUser(tx, { sub: '0a77ac4e-0000-4000-8000-0000000000e1', role: 'authenticated' });
      return tx
        .query(`insert into public.athletes (id, user_id) values (555, '0a77ac4e-0000-4000-8000-0000000000e1')`)
        .then(() => 'ok', (err: { code?: string }) => String(err.code));
    });
    expect(newcomer).toBe('42501');
    expect(await asUserOutcome(sql, a, `insert into public.athletes (id, user_id) values ($1, $2)`, [b + 1000, userIdForAthlete(a)])).toBe('42501');
    expect(await asUserOutcome(sql, a, `update public.athletes set id = $1 where id = $2`, [b + 1000, a])).toBe('42501');
    expect(await asUserOutcome(sql, a, `update public.athletes set user_id = gen_random_uuid() where id = $1`, [a])).toBe('42501');
    expect(await asUserOutcome(sql, a, `select strava_access_token from public.athletes`)).toBe('42501');
    expect(await asUserOutcome(sql, a, `select strava_refresh_token from public.athletes where id = $1`, [a])).toBe('42501');
    expect(await asUserOutcome(sql, a, `select id from public.athletes where strava_access_token is not null`)).toBe('42501');
    expect(await asUserOutcome(sql, a, `update public.athletes set ftp = 300, weight = 70, firstname = 'Me' where id = $1`, [a])).toBe('ok');
    expect(await asUserOutcome(sql, a, `select id, firstname, strava_scope from public.athletes where id = $1`, [a])).toBe('ok');
  }, TEST_TIMEOUT_MS);

  it("a stream row must point at one of the caller's activities: insert and update refused across tenants", async () => {
    const { sql, a, b, aRide, bRide } = await seeded();
    const insert = `insert into public.activity_streams (activity_id, athlete_id, stream_type, data) values ($1, $2, 'temp', '[1]')`;
    expect(await asUserOutcome(sql, a, insert, [bRide, a])).toBe('42501');
    expect(await asUserOutcome(sql, a, insert, [bRide, b])).toBe('42501');
    expect(await asUserOutcome(sql, a, insert, [aRide, a])).toBe('ok');
    expect(await asUserOutcome(sql, a, `update public.activity_streams set activity_id = $1 where activity_id = $2`, [bRide, aRide])).toBe('42501');
  }, TEST_TIMEOUT_MS);
}

describe('the reference schema on PGlite', () => defineSchemaTests(pgliteBackend));
describe.skipIf(!HAS_POSTGRES)('the reference schema on Postgres', () => defineSchemaTests(postgresBackend));
