/**
 * `veloready seed`: generated athletes, their auth users and activities (and optionally streams)
 * written in one transaction with bulk inserts. Idempotent: rows that exist are left alone, so a
 * second run changes nothing. Seeded users carry `raw_app_meta_data.seeded = true`; `reset`
 * deletes exactly those users, and with them (on delete cascade) their athletes, activities and
 * streams, before writing again.
 */
import { systemClock, type Clock } from '../clock.js';
import type { Queryable, Sql } from '../db/sql.js';
import { VeloError, usageError } from '../errors.js';
import { generateActivities, generateAthlete, generateAthleteWithId, MAX_ATHLETE_ID, planForActivityId, type FakeAthlete } from '../strava/generator.js';
import { generateStreams } from '../strava/streams.js';
import { userIdForAthlete } from '../auth/user-id.js';
import { ColumnBatch, flushBatch, type ArrayEncoding } from './bulk.js';
import { ACTIVITY_COLUMNS, ATHLETE_COLUMNS, STREAM_COLUMNS, USER_COLUMNS, activityRow, athleteRow, streamRows, userRow } from './rows.js';

export const MAX_SEED_ATHLETES = 100_000;
export const MAX_SEED_DAYS = 3650;
/** Rows per insert statement: few round trips, bounded memory (streams: activities' rows per statement). */
export const ACTIVITY_BATCH_ROWS = 2000;
export const ATHLETE_BATCH_ROWS = 2000;
export const STREAM_BATCH_ROWS = 200;
export const DEFAULT_STREAM_DAYS = 7;

export type SeedPhase = 'reset' | 'athletes' | 'activities' | 'streams';

export interface SeedProgress {
  phase: SeedPhase;
  done: number;
  total: number;
}

export interface SeedOptions {
  athletes: number;
  days: number;
  seed: string | number;
  /** Extra athlete ids to seed too (e.g. serve's demo athlete 104662). */
  athleteIds?: readonly number[];
  /** Also store streams, for activities of the last `streamDays` days. */
  withStreams?: boolean;
  streamDays?: number;
  reset?: boolean;
  /**
   * 'insert' (default) writes auth.users rows; 'existing' expects them to exist already, as on a
   * managed Supabase project whose `auth` schema only its Auth API may write (seed --supabase).
   */
  authUsers?: 'insert' | 'existing';
  clock?: Clock;
  onProgress?: (progress: SeedProgress) => void;
}

export interface SeedResult {
  seed: string;
  athletes: number;
  days: number;
  /** Rows written by this run (0 on a repeat run). */
  inserted: { users: number; athletes: number; activities: number; streams: number };
  /** Rows the generator produced (what the database holds after the run). */
  generated: { athletes: number; activities: number; streams: number };
  /** Seeded users deleted by `reset`. */
  deletedUsers: number;
  /**
   * Athletes left out: their id or their user already belongs to another row (written before
   * users lost the right to claim athlete ids). Everyone else is seeded.
   */
  skippedAthletes: number[];
  durationMs: number;
}

function validate(options: SeedOptions): void {
  if (!Number.isInteger(options.athletes) || options.athletes < 0 || options.athletes > MAX_SEED_ATHLETES) {
    throw usageError('SEED_ATHLETES', `--athletes must be a whole number from 0 to ${MAX_SEED_ATHLETES}`);
  }
  if (!Number.isInteger(options.days) || options.days < 1 || options.days > MAX_SEED_DAYS) {
    throw usageError('SEED_DAYS', `--days must be a whole number from 1 to ${MAX_SEED_DAYS}`);
  }
  for (const id of options.athleteIds ?? []) {
    if (!Number.isSafeInteger(id) || id < 1 || id > MAX_ATHLETE_ID) throw usageError('SEED_ATHLETE_ID', `athlete id ${id} is out of range`);
  }
}

async function requireSchema(tx: Queryable): Promise<void> {
  const res = await tx.query<{ ok: boolean }>(
    `select to_regclass('public.activities') is not null and to_regclass('public.activity_streams') is not null and to_regclass('auth.users') is not null as ok`,
  );
  if (!res.rows[0]?.ok) {
    throw new VeloError('SEED_NO_SCHEMA', 'the database has no VeloReady schema (auth.users, athletes, activities)', 'Run `veloready db migrate` (with the same --db-url) first.');
  }
}

/**
 * Data seeded with another seed would silently mix with this one (different athletes, different
 * histories): refused, saying how to replace it or to keep the seed it has.
 */
async function refuseOtherSeed(tx: Queryable, seed: string): Promise<void> {
  const { rows } = await tx.query<{ seed: string }>(
    `select distinct raw_app_meta_data->>'seed' as seed from auth.users
     where raw_app_meta_data->>'seeded' = 'true' and raw_app_meta_data->>'seed' is distinct from $1`,
    [seed],
  );
  const others = rows.map((r) => r.seed ?? '(none)');
  if (others.length === 0) return;
  throw usageError(
    'SEED_MISMATCH',
    `the database holds data seeded with --seed ${others.join(', ')}; --seed ${seed} would mix the two`,
    `add --reset to replace the seeded data (other users are untouched), or run with --seed ${others[0]}`,
  );
}

/** Deletes seeded users; their athletes, activities and streams go with them (on delete cascade). */
export async function deleteSeeded(tx: Queryable): Promise<number> {
  const res = await tx.query(`delete from auth.users where raw_app_meta_data->>'seeded' = 'true'`);
  return res.rowCount;
}

/**
 * Seeded athletes whose row is not the seed's own (a different user holds the id, or the seed's
 * user holds another id): writing their activities would fail or land in someone else's account.
 */
async function athletesNotOwnedAsSeeded(tx: Queryable, athletes: readonly FakeAthlete[]): Promise<number[]> {
  const ids = athletes.map((a) => a.profile.id);
  const { rows } = await tx.query<{ id: string }>(
    `select w.id::text as id from unnest($1::bigint[], $2::uuid[]) as w(id, user_id)
      where not exists (select 1 from public.athletes a where a.id = w.id and a.user_id = w.user_id)`,
    [ids, ids.map((id) => userIdForAthlete(id))],
  );
  return rows.map((r) => Number(r.id));
}

export function seedAthletes(options: Pick<SeedOptions, 'athletes' | 'seed' | 'athleteIds'>): FakeAthlete[] {
  const list = Array.from({ length: options.athletes }, (_, i) => generateAthlete(options.seed, i));
  const seen = new Set(list.map((a) => a.profile.id));
  for (const id of options.athleteIds ?? []) {
    if (!seen.has(id)) {
      seen.add(id);
      list.push(generateAthleteWithId(id, options.seed));
    }
  }
  return list;
}

export async function seedDatabase(sql: Sql, options: SeedOptions): Promise<SeedResult> {
  validate(options);
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const seed = String(options.seed);
  const nowIso = new Date(clock.now()).toISOString();
  const progress = options.onProgress ?? (() => undefined);
  const athletes = seedAthletes(options);
  // A Postgres server takes numbers and timestamps in binary; in-process PGlite takes text.
  const encoding: ArrayEncoding = sql.target.kind === 'postgres' ? 'binary' : 'text';
  const write = { encoding };
  const streamFrom = clock.now() - (options.streamDays ?? DEFAULT_STREAM_DAYS) * 86_400_000;

  return sql.transaction(async (tx) => {
    await requireSchema(tx);
    if (!options.reset) await refuseOtherSeed(tx, seed);
    let deletedUsers = 0;
    if (options.reset) {
      progress({ phase: 'reset', done: 0, total: 1 });
      deletedUsers = await deleteSeeded(tx);
      progress({ phase: 'reset', done: 1, total: 1 });
    }
    const inserted = { users: 0, athletes: 0, activities: 0, streams: 0 };
    const generated = { athletes: athletes.length, activities: 0, streams: 0 };

    const users = new ColumnBatch(USER_COLUMNS);
    const athleteRows = new ColumnBatch(ATHLETE_COLUMNS);
    for (let i = 0; i < athletes.length; i++) {
      users.push(userRow(athletes[i]!, seed, nowIso));
      athleteRows.push(athleteRow(athletes[i]!, nowIso));
      if (users.size >= ATHLETE_BATCH_ROWS || i === athletes.length - 1) {
        if (options.authUsers === 'existing') users.clear();
        else inserted.users += await flushBatch(tx, 'auth.users', users, write);
        inserted.athletes += await flushBatch(tx, 'public.athletes', athleteRows, write);
        progress({ phase: 'athletes', done: i + 1, total: athletes.length });
      }
    }

    const skippedAthletes = inserted.athletes === athletes.length ? [] : await athletesNotOwnedAsSeeded(tx, athletes);
    const skipped = new Set(skippedAthletes);

    const activities = new ColumnBatch(ACTIVITY_COLUMNS);
    const streamBatch = new ColumnBatch(STREAM_COLUMNS);
    const streamIds: Array<{ athlete: FakeAthlete; id: number }> = [];
    // Athletes that did not exist before this transaction have no activities yet: when all are
    // new (a first run), activities skip the conflict check, which is measurably cheaper.
    const activityWrite = inserted.athletes === athletes.length ? { ...write, suffix: '' } : write;
    // The database inserts one batch while the next is generated: at most one statement in flight.
    let inFlight: Promise<number> = Promise.resolve(0);
    for (let i = 0; i < athletes.length; i++) {
      const athlete = athletes[i]!;
      const owned = !skipped.has(athlete.profile.id);
      for (const summary of owned ? generateActivities(athlete, { endMs: clock.now(), days: options.days }) : []) {
        activities.push(activityRow(summary));
        generated.activities++;
        if (options.withStreams && Date.parse(summary.start_date) >= streamFrom) streamIds.push({ athlete, id: summary.id });
      }
      if (activities.size >= ACTIVITY_BATCH_ROWS || i === athletes.length - 1) {
        inserted.activities += await inFlight;
        inFlight = flushBatch(tx, 'public.activities', activities, activityWrite);
        progress({ phase: 'activities', done: i + 1, total: athletes.length });
      }
    }
    inserted.activities += await inFlight;

    for (let i = 0; i < streamIds.length; i++) {
      const { athlete, id } = streamIds[i]!;
      const plan = planForActivityId(athlete, id)!;
      for (const row of streamRows(id, athlete.profile.id, generateStreams(plan))) {
        streamBatch.push(row);
        generated.streams++;
      }
      if (streamBatch.size >= STREAM_BATCH_ROWS || i === streamIds.length - 1) {
        inserted.streams += await flushBatch(tx, 'public.activity_streams', streamBatch, write);
        progress({ phase: 'streams', done: i + 1, total: streamIds.length });
      }
    }

    return {
      seed, athletes: athletes.length, days: options.days, inserted, generated, deletedUsers, skippedAthletes, durationMs: clock.now() - started,
    };
  });
}
