import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activitiesKey, CACHE_STORE } from '../../src/cache/keys.js';
import { FUNCTIONS, findFunction } from '../../src/functions/index.js';
import { createApiActivitiesHandler } from '../../src/functions/api-activities.js';
import { createCleanupHandler } from '../../src/functions/cleanup.js';
import { createNightlyReconcileHandler } from '../../src/functions/nightly-reconcile.js';
import { bodyOf, connectAthlete, context, event, harness, tokenFor, type Harness } from './helpers.js';

const scheduledEvent = () =>
  event('/.netlify/functions/x', { method: 'POST', body: JSON.stringify({ next_run: '2026-06-16T03:00:00.000Z' }) });

describe('scheduled functions', () => {
  let h: Harness;
  let a: number;
  let b: number;

  beforeAll(async () => {
    h = await harness();
    [a, b] = h.athleteIds as [number, number];
    for (const id of [a, b]) {
      await connectAthlete(h, id);
      await createApiActivitiesHandler(h.deps)(event('/api/activities', { token: tokenFor(h, id) }), context('x'));
    }
  });
  afterAll(() => h.close());

  it('the registry lists every function with its kind and schedule', () => {
    expect(FUNCTIONS.map((f) => f.name).sort()).toEqual(
      [
        'ai-brief', 'api-activities', 'api-streams', 'auth-disconnect', 'auth-refresh-token', 'backfill-background', 'cleanup',
        'nightly-reconcile', 'oauth-strava-token-exchange', 'strava-webhook',
      ].sort(),
    );
    expect(findFunction('nightly-reconcile')).toMatchObject({ kind: 'scheduled', schedule: '0 3 * * *' });
    expect(findFunction('cleanup')).toMatchObject({ kind: 'scheduled', schedule: '@hourly' });
    expect(findFunction('backfill-background')?.kind).toBe('background');
    for (const f of FUNCTIONS) expect(typeof f.create(h.deps)).toBe('function');
  });

  it('nightly-reconcile fixes drift in the last 7 days: changed rows restored, vanished rows deleted, missing rows added', async () => {
    const recent = await h.sql.query<{ id: string }>(
      `select id::text as id from public.activities where athlete_id = $1 and start_date > to_timestamp($2) order by start_date desc`,
      [a, Math.floor(h.clock.now() / 1000) - 6 * 86_400],
    );
    expect(recent.rows.length).toBeGreaterThanOrEqual(2);
    const [changed, missing] = recent.rows.map((r) => r.id);
    await h.sql.query(`update public.activities set name = 'drifted' where id = $1`, [changed]);
    await h.sql.query('delete from public.activities where id = $1', [missing]);
    await h.sql.query(
      `insert into public.activities (id, athlete_id, name, type, sport_type, start_date, start_date_local)
       values (77, $1, 'ghost', 'Ride', 'Ride', to_timestamp($2), to_timestamp($2))`,
      [a, Math.floor(h.clock.now() / 1000) - 86_400],
    );
    expect(await h.blobs.store(CACHE_STORE).get(activitiesKey(a))).not.toBeNull();

    const res = await createNightlyReconcileHandler(h.deps)(scheduledEvent(), context('nightly-reconcile'));
    expect(res.statusCode).toBe(200);
    const summary = bodyOf(res);
    expect(summary.athletes).toBe(2);
    expect(summary.upserted).toBe(2);
    expect(summary.deleted).toBe(1);
    expect(summary.failed).toEqual([]);
    const names = await h.sql.query<{ id: string; name: string }>('select id::text as id, name from public.activities where id = any($1::bigint[])', [
      [changed, missing, '77'],
    ]);
    expect(names.rows.map((r) => r.id).sort()).toEqual([changed, missing].sort());
    expect(names.rows.every((r) => r.name !== 'drifted')).toBe(true);
    expect(await h.blobs.store(CACHE_STORE).get(activitiesKey(a))).toBeNull();
    expect(await h.blobs.store(CACHE_STORE).get(activitiesKey(b))).not.toBeNull();

    const again = bodyOf(await createNightlyReconcileHandler(h.deps)(scheduledEvent(), context('nightly-reconcile')));
    expect(again).toMatchObject({ upserted: 0, deleted: 0 });
  });

  it('nightly-reconcile records one athlete\'s Strava failure and still reconciles the others', async () => {
    await h.sql.query(`update public.athletes set strava_access_token = 'revoked', strava_refresh_token = 'revoked', strava_token_expires_at = to_timestamp(0) where id = $1`, [b]);
    const summary = bodyOf(await createNightlyReconcileHandler(h.deps)(scheduledEvent(), context('nightly-reconcile')));
    expect(summary.failed.map((f: any) => f.athlete_id)).toEqual([b]);
    expect(summary.athletes).toBe(1);
    await connectAthlete(h, b);
  });

  it('cleanup deletes expired stream rows and expired blobs, and keeps live ones', async () => {
    const [x, y] = (await h.sql.query<{ id: string }>('select id::text as id from public.activities where athlete_id = $1 limit 2', [a])).rows.map((r) => r.id);
    const now = h.clock.now();
    await h.sql.query(
      `insert into public.activity_streams (activity_id, athlete_id, stream_type, data, expires_at) values
       ($1, $3, 'time', '[]'::jsonb, to_timestamp($4 / 1000.0)), ($2, $3, 'time', '[]'::jsonb, to_timestamp($5 / 1000.0))`,
      [x, y, a, now + 60_000, now + 3_600_000],
    );
    const store = h.blobs.store(CACHE_STORE);
    await store.set('streams:1:1', 'old', { expiresAt: now + 60_000 });
    await store.set('streams:1:2', 'live', { expiresAt: now + 3_600_000 });
    await h.blobs.store('other-store').set('k', 'v', { expiresAt: now + 60_000 });
    h.clock.advance(120_000);

    const res = await createCleanupHandler(h.deps)(scheduledEvent(), context('cleanup'));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toEqual({ stream_rows_deleted: 1, blobs_deleted: 2 });
    const rows = await h.sql.query<{ id: string }>('select activity_id::text as id from public.activity_streams');
    expect(rows.rows.map((r) => r.id)).toEqual([y]);
    const left = await store.list({ includeExpired: true, prefix: 'streams:1:' });
    expect(left.blobs.map((k) => k.key)).toEqual(['streams:1:2']);
  });
});
