import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Handler } from '../../src/emulator/types.js';
import { createAiBriefHandler } from '../../src/functions/ai-brief.js';
import { createApiActivitiesHandler } from '../../src/functions/api-activities.js';
import { createApiStreamsHandler } from '../../src/functions/api-streams.js';
import { createAuthRefreshTokenHandler } from '../../src/functions/auth-refresh-token.js';
import { createBackfillBackgroundHandler } from '../../src/functions/backfill-background.js';
import { createCleanupHandler } from '../../src/functions/cleanup.js';
import { createNightlyReconcileHandler } from '../../src/functions/nightly-reconcile.js';
import { createOauthStravaTokenExchangeHandler } from '../../src/functions/oauth-strava-token-exchange.js';
import { createStravaWebhookHandler } from '../../src/functions/strava-webhook.js';
import { bodyOf, connectAthlete, context, event, expectClientError, harness, header, recordingSql, tokenFor, type Harness } from './helpers.js';

describe.skipIf(!process.env.DATABASE_URL)('the handlers on a real Postgres server (DATABASE_URL)', () => {
  let h: Harness;
  let a: number;
  let b: number;
  const run = (create: (d: Harness['deps']) => Handler, ev: ReturnType<typeof event>, params: Record<string, string> = {}) =>
    create(h.deps)(ev, context('pg', params));

  beforeAll(async () => {
    h = await harness({ postgres: true });
    [a, b] = h.athleteIds as [number, number];
    await connectAthlete(h, b);
  });
  afterAll(() => h?.close());

  it('walks the journey: OAuth, activities MISS/HIT, streams, brief, refresh + reuse, webhook, backfill, reconcile, cleanup', async () => {
    const signIn = await run(createOauthStravaTokenExchangeHandler, event('/oauth/strava/callback', { query: { code: h.strava.fake.issueCode(a) } }));
    expect(signIn.statusCode).toBe(200);
    const tokens = bodyOf(signIn);

    const activities = createApiActivitiesHandler(h.deps);
    const miss = await activities(event('/api/activities', { token: tokens.access_token, query: { limit: '200' } }), context('x'));
    expect(header(miss, 'x-cache')).toBe('MISS');
    const hit = await activities(event('/api/activities', { token: tokens.access_token, query: { limit: '200' } }), context('x'));
    expect(header(hit, 'x-cache')).toBe('HIT');
    const ids = bodyOf(hit).activities.map((x: any) => x.id as number);
    expect(ids.length).toBeGreaterThan(0);

    const streams = await run(createApiStreamsHandler, event(`/api/streams/${ids[0]}`, { token: tokens.access_token }), { activityId: String(ids[0]) });
    expect(streams.statusCode).toBe(200);
    const bStreams = await run(createApiStreamsHandler, event(`/api/streams/${ids[0]}`, { token: tokenFor(h, b) }), { activityId: String(ids[0]) });
    expect(expectClientError(bStreams, 404)).toBe('NOT_FOUND');

    const brief = await run(createAiBriefHandler, event('/api/ai-brief', { token: tokens.access_token }));
    expect(bodyOf(brief).metrics.ctl).toBeGreaterThan(0);

    const refresh = createAuthRefreshTokenHandler(h.deps);
    const post = (t: string) => refresh(event('/auth/refresh', { method: 'POST', body: JSON.stringify({ refresh_token: t }) }), context('x'));
    expect((await post(tokens.refresh_token)).statusCode).toBe(200);
    expect(expectClientError(await post(tokens.refresh_token), 401)).toBe('REFRESH_TOKEN_REUSED');

    await h.sql.query('delete from public.activities where id = $1', [ids[1]]);
    const hook = await run(
      createStravaWebhookHandler,
      event('/webhooks/strava', {
        method: 'POST',
        body: JSON.stringify({ object_type: 'activity', object_id: ids[1], aspect_type: 'create', owner_id: a, event_time: 1_781_000_000, updates: {} }),
      }),
    );
    expect(bodyOf(hook)).toEqual({ status: 'upserted' });

    const backfill = await run(
      createBackfillBackgroundHandler,
      event('/.netlify/functions/backfill-background', { method: 'POST', token: tokenFor(h, b, { role: 'service_role' }), body: JSON.stringify({ athlete_id: b }) }),
    );
    expect(bodyOf(backfill).job.status).toBe('succeeded');
    expect(bodyOf(backfill).job.activities_upserted).toBeGreaterThan(0);

    const reconcile = await run(createNightlyReconcileHandler, event('/x', { method: 'POST' }));
    expect(bodyOf(reconcile)).toMatchObject({ athletes: 2, failed: [] });
    h.clock.advance(8 * 86_400_000);
    // The one activity's streams: one row per stream type.
    const stored = Number((await h.sql.query<{ n: string }>('select count(*)::text as n from public.activity_streams')).rows[0]!.n);
    expect(stored).toBeGreaterThan(1);
    const cleanup = await run(createCleanupHandler, event('/x', { method: 'POST' }));
    expect(bodyOf(cleanup).stream_rows_deleted).toBe(stored);
  });

  it('8 identical webhook deliveries at once over a pool of connections: exactly one is processed', async () => {
    const { rows } = await h.sql.query<{ id: string }>('select id::text as id from public.activities where athlete_id = $1 limit 1', [b]);
    const id = Number(rows[0]!.id);
    const rec = recordingSql(h.sql);
    const hook = createStravaWebhookHandler({ ...h.deps, sql: rec.sql });
    const body = JSON.stringify({ object_type: 'activity', object_id: id, aspect_type: 'update', owner_id: b, event_time: 1_781_000_100, updates: {} });
    const readsBefore = h.strava.fake.usage().read[1];
    const answers = await Promise.all(Array.from({ length: 8 }, () => hook(event('/webhooks/strava', { method: 'POST', body }), context('x'))));
    expect(answers.map((r) => bodyOf(r).status).sort()).toEqual([...Array(7).fill('duplicate'), 'upserted']);
    expect(h.strava.fake.usage().read[1] - readsBefore).toBe(1);
    expect(rec.statements.filter((q) => /insert into public\.activities\b/.test(q))).toHaveLength(1);
  });
});
