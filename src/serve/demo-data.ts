import type { Clock } from '../clock.js';
import type { Queryable, Sql } from '../db/sql.js';
import { seedDatabase, type SeedProgress, type SeedResult } from '../seed/seed.js';
import type { FakeStrava } from '../strava/fake-server.js';

/** The athlete every fresh `serve` has, with a year of rides. */
export const DEMO_ATHLETE_ID = 104662;
export const DEMO_DAYS = 365;

export interface DemoDataOptions {
  seed: string;
  /** `serve --seed N`: this many generated athletes besides the demo one. */
  extraAthletes?: number;
  clock: Clock;
  onProgress?: (p: SeedProgress) => void;
}

async function hasAthlete(q: Queryable, id: number): Promise<boolean> {
  const { rows } = await q.query('select 1 from public.athletes where id = $1', [id]);
  return rows.length > 0;
}

/** Seeds the demo athlete on first run and `--seed N` athletes when asked. Idempotent. */
export async function ensureDemoData(sql: Sql, opts: DemoDataOptions): Promise<SeedResult | undefined> {
  const needDemo = !(await hasAthlete(sql, DEMO_ATHLETE_ID));
  if (!needDemo && !opts.extraAthletes) return undefined;
  return seedDatabase(sql, {
    athletes: opts.extraAthletes ?? 0,
    athleteIds: [DEMO_ATHLETE_ID],
    days: DEMO_DAYS,
    seed: opts.seed,
    clock: opts.clock,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
}

/**
 * The fake Strava keeps its tokens in memory, so every start hands each connected athlete fresh
 * ones and stores them, as a real OAuth connection would have left them.
 */
export async function connectAthletesToFakeStrava(sql: Sql, fake: FakeStrava): Promise<number> {
  const { rows } = await sql.query<{ id: string }>(
    'select id::text as id from public.athletes where deauthorized_at is null order by id',
  );
  if (rows.length === 0) return 0;
  const ids: string[] = [];
  const access: string[] = [];
  const refresh: string[] = [];
  const expires: string[] = [];
  for (const { id } of rows) {
    fake.directory.register(Number(id));
    const t = fake.issueTokens(Number(id), { scope: 'read,activity:read_all' });
    ids.push(id);
    access.push(t.access_token);
    refresh.push(t.refresh_token);
    expires.push(new Date(t.expires_at * 1000).toISOString());
  }
  await sql.query(
    `update public.athletes a set strava_access_token = t.access, strava_refresh_token = t.refresh,
            strava_token_expires_at = t.expires, strava_scope = 'read,activity:read_all'
       from unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[]) as t(id, access, refresh, expires)
      where a.id = t.id`,
    [ids, access, refresh, expires],
  );
  return rows.length;
}
