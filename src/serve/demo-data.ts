import type { Clock } from '../clock.js';
import type { Sql } from '../db/sql.js';
import { seedDatabase, type SeedProgress, type SeedResult } from '../seed/seed.js';
import { athleteIdFor } from '../strava/generator.js';
import type { FakeStrava } from '../strava/fake-server.js';

import { DEMO_ATHLETE_ID } from '../seed/demo-athlete.js';

export { DEMO_ATHLETE_ID };
export const DEMO_DAYS = 365;

export interface DemoDataOptions {
  seed: string;
  /** `serve --seed N`: make sure the first N generated athletes exist besides the demo one. */
  extraAthletes?: number;
  clock: Clock;
  onProgress?: (p: SeedProgress) => void;
}

/** The demo athlete and the generated athletes asked for (ids 1000001, 1000002, …). */
function wantedAthleteIds(extraAthletes = 0): number[] {
  return [DEMO_ATHLETE_ID, ...Array.from({ length: extraAthletes }, (_, i) => athleteIdFor(i))];
}

/**
 * Seeds the athletes of `wantedAthleteIds` that are missing, with their year of rides; athletes
 * that exist are left exactly as they are, so a repeat run changes nothing.
 */
export async function ensureDemoData(sql: Sql, opts: DemoDataOptions): Promise<SeedResult | undefined> {
  const wanted = wantedAthleteIds(opts.extraAthletes);
  const { rows } = await sql.query<{ id: string }>('select id::text as id from public.athletes where id = any($1::bigint[])', [wanted]);
  const present = new Set(rows.map((r) => Number(r.id)));
  const missing = wanted.filter((id) => !present.has(id));
  if (missing.length === 0) return undefined;
  return seedDatabase(sql, {
    athletes: 0,
    athleteIds: missing,
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
