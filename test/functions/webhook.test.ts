import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../src/auth/sessions.js';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { activitiesKey, briefKey, CACHE_STORE, streamsKey } from '../../src/cache/keys.js';
import type { BlobStore } from '../../src/blobs/store.js';
import type { Handler } from '../../src/emulator/types.js';
import type { FunctionDeps } from '../../src/functions/deps.js';
import { createAiBriefHandler } from '../../src/functions/ai-brief.js';
import { createApiActivitiesHandler } from '../../src/functions/api-activities.js';
import { createStravaWebhookHandler, WEBHOOK_CLAIM_LEASE_S } from '../../src/functions/strava-webhook.js';
import { bodyOf, connectAthlete, context, event, expectClientError, harness, recordingSql, tokenFor, VERIFY_TOKEN, type Harness } from './helpers.js';

describe('strava-webhook', () => {
  let h: Harness;
  let hook: Handler;
  let athlete: number;
  let ids: number[];
  let eventTime = 1_781_000_000;

  const post = (payload: unknown) =>
    hook(event('/webhooks/strava', { method: 'POST', body: typeof payload === 'string' ? payload : JSON.stringify(payload) }), context('strava-webhook'));
  const activityEvent = (aspect: string, id: number, extra: Record<string, unknown> = {}) => ({
    object_type: 'activity',
    object_id: id,
    aspect_type: aspect,
    owner_id: athlete,
    subscription_id: 1,
    event_time: ++eventTime,
    updates: {},
    ...extra,
  });
  const warm = async () => {
    await createApiActivitiesHandler(h.deps)(event('/api/activities', { token: tokenFor(h, athlete) }), context('x'));
    await createAiBriefHandler(h.deps)(event('/api/ai-brief', { token: tokenFor(h, athlete) }), context('x'));
  };
  const cached = async (key: string) => (await h.blobs.store(CACHE_STORE).get(key)) !== null;
  const stored = async (id: number) =>
    (await h.sql.query('select 1 from public.activities where id = $1', [id])).rows.length === 1;

  beforeAll(async () => {
    h = await harness();
    athlete = h.athleteIds[2]!;
    await connectAthlete(h, athlete);
    h.deps.config.stravaSubscriptionId = 1;
    hook = createStravaWebhookHandler(h.deps);
    const res = await createApiActivitiesHandler(h.deps)(
      event('/api/activities', { token: tokenFor(h, athlete), query: { limit: '200' } }),
      context('x'),
    );
    ids = bodyOf(res).activities.map((a: any) => a.id);
  });
  afterAll(() => h.close());

  it('GET echoes hub.challenge when the verify token matches, else 403/400', async () => {
    const ok = await hook(
      event('/webhooks/strava', { query: { 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': 'abc123' } }),
      context('x'),
    );
    expect(ok.statusCode).toBe(200);
    expect(bodyOf(ok)).toEqual({ 'hub.challenge': 'abc123' });
    const wrong = await hook(
      event('/webhooks/strava', { query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': 'abc' } }),
      context('x'),
    );
    expect(expectClientError(wrong, 403)).toBe('VERIFY_TOKEN_MISMATCH');
    expect(expectClientError(await hook(event('/webhooks/strava'), context('x')), 400)).toBe('INVALID_SUBSCRIPTION');
  });

  it('activity create: fetched from Strava, upserted, and the athlete\'s cached list and brief invalidated', async () => {
    const id = ids[0]!;
    await h.sql.query('delete from public.activities where id = $1', [id]);
    await warm();
    expect(await cached(activitiesKey(athlete))).toBe(true);
    const res = await post(activityEvent('create', id));
    expect(bodyOf(res)).toEqual({ status: 'upserted' });
    expect(await stored(id)).toBe(true);
    expect(await cached(activitiesKey(athlete))).toBe(false);
    expect(await cached(briefKey(userIdForAthlete(athlete), '2026-06-15', h.deps.ai.promptVersion))).toBe(false);
    const list = await createApiActivitiesHandler(h.deps)(event('/api/activities', { token: tokenFor(h, athlete) }), context('x'));
    expect(bodyOf(list).activities.map((a: any) => a.id)).toContain(id);
  });

  it('activity update: the row is brought back in line with Strava', async () => {
    const id = ids[1]!;
    await h.sql.query(`update public.activities set name = 'stale' where id = $1`, [id]);
    expect(bodyOf(await post(activityEvent('update', id, { updates: { title: 'x' } })))).toEqual({ status: 'upserted' });
    const { rows } = await h.sql.query<{ name: string }>('select name from public.activities where id = $1', [id]);
    expect(rows[0]!.name).not.toBe('stale');
  });

  it('activity delete, after Strava deleted it: the row and its cached streams go', async () => {
    const id = ids[2]!;
    h.strava.fake.deleteActivity(athlete, id);
    await h.blobs.store(CACHE_STORE).setJSON(streamsKey(athlete, id), { value: {}, storedAt: 0, expiresAt: Date.now() * 2 });
    expect(bodyOf(await post(activityEvent('delete', id)))).toEqual({ status: 'deleted' });
    expect(await stored(id)).toBe(false);
    expect(await cached(streamsKey(athlete, id))).toBe(false);
  });

  it('a forged delete (Strava still has the activity) changes nothing: row, cached list and streams stay', async () => {
    const id = ids[8]!;
    await warm();
    await h.blobs.store(CACHE_STORE).setJSON(streamsKey(athlete, id), { value: {}, storedAt: 0, expiresAt: Date.now() * 2 });
    expect(bodyOf(await post(activityEvent('delete', id)))).toEqual({ status: 'unconfirmed' });
    expect(await stored(id)).toBe(true);
    expect(await cached(activitiesKey(athlete))).toBe(true);
    expect(await cached(streamsKey(athlete, id))).toBe(true);
  });

  it('a delivery for another push subscription, or none, is refused with 403 and changes nothing', async () => {
    const id = ids[9]!;
    h.strava.fake.deleteActivity(athlete, id);
    expect(expectClientError(await post(activityEvent('delete', id, { subscription_id: 999 })), 403)).toBe('SUBSCRIPTION_MISMATCH');
    const { subscription_id: _, ...unsubscribed } = activityEvent('delete', id);
    expect(expectClientError(await post(unsubscribed), 403)).toBe('SUBSCRIPTION_MISMATCH');
    expect(await stored(id)).toBe(true);
  });

  it('a duplicate delivery is processed once', async () => {
    const id = ids[3]!;
    h.strava.fake.deleteActivity(athlete, id);
    const payload = activityEvent('delete', id);
    expect(bodyOf(await post(payload))).toEqual({ status: 'deleted' });
    await h.sql.query(
      `insert into public.activities (id, athlete_id, name, type, sport_type, start_date, start_date_local)
       values ($1, $2, 'restored', 'Ride', 'Ride', now(), now())`,
      [id, athlete],
    );
    expect(bodyOf(await post(payload))).toEqual({ status: 'duplicate' });
    expect(await stored(id)).toBe(true);
    const { rows } = await h.sql.query<{ n: number }>('select count(*)::int as n from public.strava_webhook_events where object_id = $1', [id]);
    expect(rows[0]!.n).toBe(1);
  });

  /** The harness's deps, with every SQL statement and every cache delete recorded. */
  const recordingDeps = () => {
    const rec = recordingSql(h.sql);
    const deletes: string[] = [];
    const blobs = {
      ...h.blobs,
      store: (name: string): BlobStore => {
        const store = h.blobs.store(name);
        return { ...store, delete: async (key: string) => void (deletes.push(key), await store.delete(key)) };
      },
    };
    const deps: FunctionDeps = { ...h.deps, sql: rec.sql, blobs };
    return { deps, statements: rec.statements, deletes };
  };
  const deliver = (handler: Handler, payload: unknown) =>
    handler(event('/webhooks/strava', { method: 'POST', body: JSON.stringify(payload) }), context('strava-webhook'));
  const activityUpserts = (statements: string[]) => statements.filter((q) => /insert into public\.activities\b/.test(q)).length;

  it('8 identical deliveries at the same time: one is processed (one fetch, one upsert, one invalidation), 7 are duplicates', async () => {
    const id = ids[4]!;
    const { deps, statements, deletes } = recordingDeps();
    const parallel = createStravaWebhookHandler(deps);
    const payload = activityEvent('update', id, { updates: { title: 'Renamed' } });
    const readsBefore = h.strava.fake.usage().read[1];
    const answers = await Promise.all(Array.from({ length: 8 }, () => deliver(parallel, payload)));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    expect(answers.map((r) => bodyOf(r).status).sort()).toEqual([...Array(7).fill('duplicate'), 'upserted']);
    expect(h.strava.fake.usage().read[1] - readsBefore).toBe(1);
    expect(activityUpserts(statements)).toBe(1);
    expect(deletes.filter((k) => k === activitiesKey(athlete))).toHaveLength(1);
    const { rows } = await h.sql.query<{ processed: boolean }>(
      'select processed_at is not null as processed from public.strava_webhook_events where object_id = $1',
      [id],
    );
    expect(rows).toEqual([{ processed: true }]);
  });

  it('a delivery whose processing failed leaves the event to the next delivery', async () => {
    const id = ids[5]!;
    await h.sql.query(`update public.activities set name = 'stale' where id = $1`, [id]);
    const payload = activityEvent('update', id);
    const failing = createStravaWebhookHandler({
      ...h.deps,
      strava: { ...h.deps.strava, getActivity: async () => Promise.reject(new Error('connection reset')) },
    });
    expect((await deliver(failing, payload)).statusCode).toBe(500);
    expect(bodyOf(await post(payload))).toEqual({ status: 'upserted' });
    const { rows } = await h.sql.query<{ name: string }>('select name from public.activities where id = $1', [id]);
    expect(rows[0]!.name).not.toBe('stale');
    expect(bodyOf(await post(payload))).toEqual({ status: 'duplicate' });
  });

  it('an event claimed by a process that died is taken over once the claim lease has passed', async () => {
    const id = ids[6]!;
    const payload = activityEvent('update', id);
    // What a delivery leaves behind when its process dies mid-event: claimed, never processed.
    await h.sql.query(
      `insert into public.strava_webhook_events (event_key, owner_id, object_type, object_id, aspect_type, event_time, received_at)
       values ($1, $2, 'activity', $3, 'update', to_timestamp($4), $5)`,
      [`activity:${id}:update:${payload.event_time}:${athlete}`, athlete, id, payload.event_time, new Date(h.clock.now()).toISOString()],
    );
    expect(bodyOf(await post(payload))).toEqual({ status: 'duplicate' });
    h.clock.advance(WEBHOOK_CLAIM_LEASE_S * 1000);
    expect(bodyOf(await post(payload))).toEqual({ status: 'upserted' });
  });

  it('extreme values are 400 JSON, never 500: event_time beyond year 9999, absurd nesting', async () => {
    for (const eventTime of [1e15, Number.MAX_SAFE_INTEGER, 253_402_300_800, -1, 1.5]) {
      const res = await post(activityEvent('update', ids[0]!, { event_time: eventTime }));
      expect(expectClientError(res, 400), String(eventTime)).toBe('INVALID_EVENT');
    }
    const deep = '{"a":'.repeat(100) + '1' + '}'.repeat(100);
    const body = JSON.stringify(activityEvent('update', ids[0]!)).replace('"updates":{}', `"updates":${deep}`);
    expect(expectClientError(await post(body), 400)).toBe('INVALID_EVENT');
  });

  it('NUL and lone surrogates in updates are stored as U+FFFD and the event is processed (Strava does not resend a 4xx)', async () => {
    const id = ids[7]!;
    const payload = activityEvent('update', id, { updates: { title: 'Lunch\u0000Ride\ud800', ['k\u0000']: ['\u0000'] } });
    expect(bodyOf(await post(payload))).toEqual({ status: 'upserted' });
    const { rows } = await h.sql.query<{ updates: Record<string, unknown> }>(
      'select updates from public.strava_webhook_events where object_id = $1',
      [id],
    );
    expect(rows[0]!.updates).toEqual({ title: 'Lunch\uFFFDRide\uFFFD', 'k\uFFFD': ['\uFFFD'] });
  });

  it('events for unknown athletes are acknowledged and ignored', async () => {
    expect(bodyOf(await post({ ...activityEvent('create', 123), owner_id: 424242 }))).toEqual({ status: 'ignored' });
  });

  it('bad payloads are 400 JSON, other methods 405', async () => {
    expect(expectClientError(await post('{not json'), 400)).toBe('INVALID_JSON');
    expect(expectClientError(await post({ ...activityEvent('create', 1), object_type: 'route' }), 400)).toBe('INVALID_EVENT');
    expect(expectClientError(await post({ ...activityEvent('explode', 1) }), 400)).toBe('INVALID_EVENT');
    expect(expectClientError(await post({ ...activityEvent('create', 1), object_id: 'abc' }), 400)).toBe('INVALID_ID');
    expect(expectClientError(await post({ ...activityEvent('create', 1), event_time: 'now' }), 400)).toBe('INVALID_EVENT');
    expect(expectClientError(await post(''), 400)).toBe('BODY_REQUIRED');
    expect(expectClientError(await hook(event('/webhooks/strava', { method: 'PUT' }), context('x')), 405)).toBe('METHOD_NOT_ALLOWED');
  });

  it('invalidates the brief of an athlete whose auth user is not the derived one (a production user id)', async () => {
    const other = h.athleteIds[1]!;
    await connectAthlete(h, other);
    const realUser = randomUUID();
    await h.sql.query(`insert into auth.users (id, email) values ($1, $2)`, [realUser, `real-${other}@example.com`]);
    await h.sql.query('update public.athletes set user_id = $2 where id = $1', [other, realUser]);
    const store = h.blobs.store(CACHE_STORE);
    const brief = briefKey(realUser, '2026-06-15', h.deps.ai.promptVersion);
    const bystander = briefKey(userIdForAthlete(athlete), '2026-06-15', h.deps.ai.promptVersion);
    await store.setJSON(brief, { text: 'stale' });
    await store.setJSON(bystander, { text: 'someone else' });
    const res = await post({ ...activityEvent('delete', 999_000_001), owner_id: other });
    expect(res.statusCode).toBe(200);
    expect(await cached(brief)).toBe(false);
    expect(await cached(bystander)).toBe(true);
  });

  const deauthorization = () => ({
    object_type: 'athlete',
    object_id: athlete,
    aspect_type: 'update',
    owner_id: athlete,
    subscription_id: 1,
    event_time: ++eventTime,
    updates: { authorized: 'false' },
  });

  it('a forged deauthorization (Strava still accepts the athlete\'s token) changes nothing', async () => {
    await warm();
    const session = await createSession(h.sql, { userId: userIdForAthlete(athlete), athleteId: athlete, clock: h.clock });
    expect(bodyOf(await post(deauthorization()))).toEqual({ status: 'unconfirmed' });
    const a = await h.sql.query<{ deauthorized_at: unknown; strava_access_token: unknown }>(
      'select deauthorized_at, strava_access_token from public.athletes where id = $1',
      [athlete],
    );
    expect(a.rows[0]).toEqual({ deauthorized_at: null, strava_access_token: expect.any(String) });
    const s = await h.sql.query<{ revoked_at: unknown }>('select revoked_at from public.auth_sessions where id = $1', [session.sessionId]);
    expect(s.rows[0]!.revoked_at).toBeNull();
    expect(await cached(activitiesKey(athlete))).toBe(true);
  });

  it('athlete deauthorization, after the athlete revoked access on Strava: tokens dropped, every session revoked, caches purged', async () => {
    await warm();
    const session = await createSession(h.sql, { userId: userIdForAthlete(athlete), athleteId: athlete, clock: h.clock });
    h.strava.fake.revokeAthlete(athlete);
    const res = await post(deauthorization());
    expect(bodyOf(res)).toEqual({ status: 'deauthorized' });
    const a = await h.sql.query<{ deauthorized_at: unknown; strava_access_token: unknown }>(
      'select deauthorized_at, strava_access_token from public.athletes where id = $1',
      [athlete],
    );
    expect(a.rows[0]!.deauthorized_at).not.toBeNull();
    expect(a.rows[0]!.strava_access_token).toBeNull();
    const s = await h.sql.query<{ revoked_at: unknown }>('select revoked_at from public.auth_sessions where id = $1', [session.sessionId]);
    expect(s.rows[0]!.revoked_at).not.toBeNull();
    const left = await h.blobs.store(CACHE_STORE).list();
    expect(left.blobs.filter((b) => b.key.includes(String(athlete)) || b.key.startsWith(userIdForAthlete(athlete)))).toEqual([]);
  });
});
