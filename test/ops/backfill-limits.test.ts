import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackfillJob, runBackfillJob } from '../../src/functions/lib/backfill-job.js';
import type { RateLimitEvent } from '../../src/strava/port.js';
import { connectAthlete, harness, type Harness } from '../functions/helpers.js';

const TWO_YEARS = 730;
const ALREADY_USED = 98; // of Strava's default 100 reads per 15 minutes

let h: Harness;
beforeAll(async () => {
  h = await harness({ days: TWO_YEARS, athletes: 1 });
}, 60_000);
afterAll(async () => h?.close());

describe('a two-year backfill under Strava\'s default read limits (injected clock)', () => {
  it('waits for the window instead of meeting a 429, with the minimal number of requests (pages of 200)', async () => {
    const athleteId = h.athleteIds[0]!;
    await connectAthlete(h, athleteId);
    const { rows } = await h.sql.query<{ a: string; r: string }>('select strava_access_token as a, strava_refresh_token as r from public.athletes where id = $1', [athleteId]);
    const creds = { accessToken: rows[0]!.a, refreshToken: rows[0]!.r, expiresAt: Math.floor(h.clock.now() / 1000) + 6 * 3600 };
    // Other traffic has used most of the current 15-minute window.
    for (let i = 0; i < ALREADY_USED; i++) await h.deps.strava.getAthlete(creds);
    const events: RateLimitEvent[] = [];
    const off = h.hub.subscribe((e) => events.push(e));
    const startedAt = h.clock.now();

    const job = await createBackfillJob(h.deps, { athleteId });
    const done = await runBackfillJob(h.deps, job.id);
    off();

    expect(done.status).toBe('succeeded');
    const { rows: count } = await h.sql.query<{ n: string }>('select count(*)::text as n from public.activities where athlete_id = $1', [athleteId]);
    const activities = Number(count[0]!.n);
    expect(activities).toBeGreaterThan(300);
    const pages = Math.floor(activities / 200) + 1;
    expect(done.pages_fetched).toBe(pages);
    // Every request Strava counted: the 98 before, then exactly one per page. No retry, no 429.
    expect(h.strava.fake.usage().read[1]).toBe(ALREADY_USED + pages);
    expect(events.filter((e) => e.reason === '429')).toEqual([]);
    // The client spread its last requests and waited for the window rather than being refused:
    // on the injected clock the job crossed into the next quarter hour.
    expect(Math.floor(h.clock.now() / 900_000)).toBeGreaterThan(Math.floor(startedAt / 900_000));
    // Those waits are reported, so the job's progress shows them: each one a '15min' wait that
    // ends when the clock says, and the job counts every one.
    const waits = events.filter((e) => e.reason === '15min');
    expect(waits.length).toBeGreaterThan(0);
    expect(events).toEqual(waits);
    expect(waits.every((e) => e.waitMs > 0 && e.resetsAt > startedAt && e.resetsAt <= h.clock.now())).toBe(true);
    expect(done.rate_limit_waits).toBe(waits.length);
    expect(done.rate_limited_until).not.toBeNull();
  });
});
