import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { briefKey, CACHE_STORE, streamsKey } from '../../src/cache/keys.js';
import { createAiBriefHandler } from '../../src/functions/ai-brief.js';
import { createApiActivitiesHandler } from '../../src/functions/api-activities.js';
import { createApiStreamsHandler } from '../../src/functions/api-streams.js';
import type { Handler } from '../../src/emulator/types.js';
import { bodyOf, connectAthlete, context, event, expectClientError, harness, header, tokenFor, type Harness } from './helpers.js';

describe('api-streams, ai-brief and isolation between athletes', () => {
  let h: Harness;
  let activities: Handler;
  let streams: Handler;
  let brief: Handler;
  let a: number;
  let b: number;
  let aIds: number[];
  let bIds: number[];

  const getStreams = (token: string, id: string, init: Parameters<typeof event>[1] = {}) =>
    streams(event(`/api/streams/${id}`, { token, ...init }), context('api-streams', { activityId: id }));
  const getBrief = (token: string, init: Parameters<typeof event>[1] = {}) =>
    brief(event('/api/ai-brief', { token, ...init }), context('ai-brief'));

  beforeAll(async () => {
    h = await harness();
    [a, b] = h.athleteIds as [number, number];
    await connectAthlete(h, a);
    await connectAthlete(h, b);
    activities = createApiActivitiesHandler(h.deps);
    streams = createApiStreamsHandler(h.deps);
    brief = createAiBriefHandler(h.deps);
    const ids = async (athlete: number) =>
      bodyOf(await activities(event('/api/activities', { token: tokenFor(h, athlete), query: { limit: '200' } }), context('x'))).activities.map(
        (x: any) => x.id as number,
      );
    aIds = await ids(a);
    bIds = await ids(b);
  });
  afterAll(() => h.close());

  it('streams: MISS fetches from Strava and stores the row with an expiry; then HIT with Cache-Control private', async () => {
    const id = String(aIds[0]);
    const first = await getStreams(tokenFor(h, a), id);
    expect(first.statusCode).toBe(200);
    expect(header(first, 'x-cache')).toBe('MISS');
    expect(header(first, 'cache-control')).toBe('private, max-age=86400');
    const body = bodyOf(first);
    expect(body.activity_id).toBe(aIds[0]);
    expect(body.streams.watts?.data.length ?? body.streams.time.data.length).toBeGreaterThan(10);
    const { rows } = await h.sql.query<{ expires_at: unknown }>('select expires_at from public.activity_streams where activity_id = $1', [id]);
    expect(rows[0]?.expires_at).not.toBeNull();
    const second = await getStreams(tokenFor(h, a), id);
    expect(header(second, 'x-cache')).toBe('HIT');
    expect(second.body).toBe(first.body);
    const notModified = await getStreams(tokenFor(h, a), id, { headers: { 'if-none-match': header(first, 'etag')! } });
    expect(notModified.statusCode).toBe(304);
  });

  it('streams: with the blob gone, the stored row answers without asking Strava', async () => {
    const id = aIds[0]!;
    await h.blobs.store(CACHE_STORE).delete(streamsKey(a, id));
    const before = h.strava.fake.usage().overall[0];
    const res = await getStreams(tokenFor(h, a), String(id));
    expect(header(res, 'x-cache')).toBe('MISS');
    expect(h.strava.fake.usage().overall[0]).toBe(before);
  });

  it('streams: an unknown activity is 404; bad ids are 400', async () => {
    expect(expectClientError(await getStreams(tokenFor(h, a), '999999999'), 404)).toBe('NOT_FOUND');
    for (const bad of ['abc', '-1', '0', '1.5', '99999999999999999999']) {
      expect(expectClientError(await getStreams(tokenFor(h, a), bad), 400)).toBe('INVALID_ID');
    }
    const none = await streams(event('/api/streams', { token: tokenFor(h, a) }), context('api-streams'));
    expect(expectClientError(none, 400)).toBe('ACTIVITY_ID_REQUIRED');
  });

  it("isolation: A's token never gets B's activities or streams, whatever ids, params or headers it sends", async () => {
    const tokenA = tokenFor(h, a);
    const res = await activities(
      event('/api/activities', { token: tokenA, query: { limit: '200', athlete_id: String(b) }, headers: { 'x-athlete-id': String(b) } }),
      context('api-activities', { athleteId: String(b) }),
    );
    const listed = bodyOf(res).activities.map((x: any) => x.id);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.some((id: number) => bIds.includes(id))).toBe(false);
    for (const id of bIds.slice(0, 3)) {
      expect(expectClientError(await getStreams(tokenA, String(id)), 404)).toBe('NOT_FOUND');
    }
    // Once B has cached streams, A still cannot reach them.
    expect((await getStreams(tokenFor(h, b), String(bIds[0]))).statusCode).toBe(200);
    expect(expectClientError(await getStreams(tokenA, String(bIds[0])), 404)).toBe('NOT_FOUND');
    expect(await h.blobs.store(CACHE_STORE).get(streamsKey(a, bIds[0]!))).toBeNull();
  });

  it("isolation: a token naming B's athlete id over A's user id still only reaches A's data", async () => {
    const { mintAccessToken } = await import('../../src/auth/jwt.js');
    const { JWT_SECRET } = await import('./helpers.js');
    const mixed = mintAccessToken({
      secret: JWT_SECRET,
      clock: h.clock,
      athleteId: a,
      extraClaims: { app_metadata: { provider: 'strava', athlete_id: b } },
    }).token;
    const res = await activities(event('/api/activities', { token: mixed, query: { limit: '200' } }), context('x'));
    expect(bodyOf(res).athlete_id).toBe(a);
    expect(bodyOf(res).activities.some((x: any) => bIds.includes(x.id))).toBe(false);
    expect(expectClientError(await getStreams(mixed, String(bIds[0])), 404)).toBe('NOT_FOUND');
  });

  it('brief: GET generates from the athlete\'s numbers under {userId}:{date}:{promptVersion}, then HITs', async () => {
    const first = await getBrief(tokenFor(h, a));
    expect(first.statusCode).toBe(200);
    expect(header(first, 'x-cache')).toBe('MISS');
    const body = bodyOf(first);
    expect(body.date).toBe('2026-06-15');
    expect(body.brief.length).toBeGreaterThan(20);
    expect(body.metrics.ctl).toBeGreaterThan(0);
    expect(body.metrics.last_rides.length).toBeGreaterThan(0);
    expect(body.prompt_version).toBe(h.deps.ai.promptVersion);
    const key = briefKey(userIdForAthlete(a), '2026-06-15', h.deps.ai.promptVersion);
    expect(await h.blobs.store(CACHE_STORE).get(key)).not.toBeNull();
    const second = await getBrief(tokenFor(h, a));
    expect(header(second, 'x-cache')).toBe('HIT');
    expect(second.body).toBe(first.body);
  });

  it('brief: POST regenerates; the same day gives the same text (deterministic)', async () => {
    const cached = await getBrief(tokenFor(h, a));
    h.clock.advance(60_000);
    const regenerated = await getBrief(tokenFor(h, a), { method: 'POST' });
    expect(header(regenerated, 'x-cache')).toBe('MISS');
    expect(bodyOf(regenerated).generated_at).not.toBe(bodyOf(cached).generated_at);
    expect(bodyOf(regenerated).brief).toBe(bodyOf(cached).brief);
  });

  it("brief: A and B get their own briefs from their own numbers", async () => {
    const briefA = bodyOf(await getBrief(tokenFor(h, a)));
    const briefB = bodyOf(await getBrief(tokenFor(h, b), { headers: { 'x-athlete-id': String(a) } }));
    expect(briefB.athlete_id).toBe(b);
    const ridesB = briefB.metrics.last_rides.map((r: any) => r.id);
    expect(ridesB.every((id: number) => bIds.includes(id))).toBe(true);
    expect(briefA.metrics.last_rides.map((r: any) => r.id)).not.toEqual(ridesB);
  });

  it('brief: cached until the next UTC midnight, not for 24 h: at 23:59:30 the app may keep it 30 s at most', async () => {
    const maxAge = (res: Awaited<ReturnType<Handler>>) => Number(/max-age=(\d+)/.exec(header(res, 'cache-control') ?? '')?.[1]);
    const midnight = Date.UTC(2026, 5, 17);
    h.clock.set(Date.UTC(2026, 5, 16, 10, 0, 0));
    const morning = await getBrief(tokenFor(h, b));
    expect(header(morning, 'x-cache')).toBe('MISS');
    expect(maxAge(morning)).toBe(14 * 3600);
    const key = briefKey(userIdForAthlete(b), '2026-06-16', h.deps.ai.promptVersion);
    expect((await h.blobs.store(CACHE_STORE).getJSON<{ expiresAt: number }>(key))?.expiresAt).toBe(midnight);

    h.clock.set(midnight - 30_000);
    const late = await getBrief(tokenFor(h, b));
    expect(header(late, 'x-cache')).toBe('HIT');
    expect(header(late, 'cache-control')).toBe('private, max-age=30');
    const regenerated = await getBrief(tokenFor(h, b), { method: 'POST' });
    expect(header(regenerated, 'x-cache')).toBe('MISS');
    expect(maxAge(regenerated)).toBeLessThanOrEqual(30);

    h.clock.set(midnight);
    const nextDay = await getBrief(tokenFor(h, b));
    expect(header(nextDay, 'x-cache')).toBe('MISS');
    expect(bodyOf(nextDay).date).toBe('2026-06-17');
  });

  it('brief: other methods are 405, bad tokens 401', async () => {
    expect(expectClientError(await getBrief(tokenFor(h, a), { method: 'PUT' }), 405)).toBe('METHOD_NOT_ALLOWED');
    expect(expectClientError(await getBrief('x.y.z'), 401)).toMatch(/^JWT_/);
  });
});
