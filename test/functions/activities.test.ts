import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activitiesKey, CACHE_STORE } from '../../src/cache/keys.js';
import { createApiActivitiesHandler } from '../../src/functions/api-activities.js';
import { upsertActivities } from '../../src/functions/lib/activities.js';
import { stravaCredentials } from '../../src/functions/lib/strava-creds.js';
import type { Handler } from '../../src/emulator/types.js';
import { bodyOf, connectAthlete, context, event, expectClientError, harness, header, tokenFor, type Harness } from './helpers.js';

describe('api-activities', () => {
  let h: Harness;
  let fn: Handler;
  let athlete: number;
  const get = (token: string, init: Parameters<typeof event>[1] = {}) =>
    fn(event('/api/activities', { token, ...init }), context('api-activities'));

  beforeAll(async () => {
    h = await harness();
    athlete = h.athleteIds[0]!;
    await connectAthlete(h, athlete);
    fn = createApiActivitiesHandler(h.deps);
  });
  afterAll(() => h.close());

  it('first call is a MISS that pulls the rides from Strava; the second is a HIT with the same body', async () => {
    const token = tokenFor(h, athlete);
    const first = await get(token);
    expect(first.statusCode).toBe(200);
    expect(header(first, 'x-cache')).toBe('MISS');
    const body = bodyOf(first);
    expect(body.athlete_id).toBe(athlete);
    expect(body.activities.length).toBeGreaterThan(3);
    expect(body.activities.every((a: any) => a.athlete.id === athlete)).toBe(true);
    const starts = body.activities.map((a: any) => Date.parse(a.start_date));
    expect([...starts].sort((x, y) => y - x)).toEqual(starts);
    const { rows } = await h.sql.query<{ n: number }>('select count(*)::int as n from public.activities where athlete_id = $1', [athlete]);
    expect(rows[0]!.n).toBeGreaterThanOrEqual(body.activities.length);

    const second = await get(token);
    expect(header(second, 'x-cache')).toBe('HIT');
    expect(second.body).toBe(first.body);
    expect(await h.blobs.store(CACHE_STORE).get(activitiesKey(athlete))).not.toBeNull();
  });

  it('answers Cache-Control private with max-age (never public) and a strong ETag; If-None-Match gets 304', async () => {
    const token = tokenFor(h, athlete);
    const res = await get(token);
    expect(header(res, 'cache-control')).toMatch(/^private, max-age=\d+$/);
    expect(header(res, 'cache-control')).not.toMatch(/public/);
    const etag = header(res, 'etag')!;
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await get(token, { headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body ?? '').toBe('');
    expect(header(again, 'etag')).toBe(etag);
    const other = await get(token, { headers: { 'if-none-match': '"nope"' } });
    expect(other.statusCode).toBe(200);
  });

  it('Cache-Control: no-cache from the client forces a refresh that sees new rows', async () => {
    const token = tokenFor(h, athlete);
    await h.sql.query(`update public.activities set name = 'Renamed in DB' where id = (select max(id) from public.activities where athlete_id = $1)`, [athlete]);
    const cached = await get(token, { query: { limit: '200' } });
    expect(header(cached, 'x-cache')).toBe('HIT');
    expect(cached.body).not.toContain('Renamed in DB');
    const fresh = await get(token, { query: { limit: '200' }, headers: { 'cache-control': 'no-cache' } });
    expect(header(fresh, 'x-cache')).toBe('MISS');
    expect(fresh.body).toContain('Renamed in DB');
  });

  it('an entry older than 24 h is a miss', async () => {
    const hit = await get(tokenFor(h, athlete));
    expect(header(hit, 'x-cache')).toBe('HIT');
    h.clock.advance(24 * 3600 * 1000 + 1000);
    const res = await get(tokenFor(h, athlete));
    expect(header(res, 'x-cache')).toBe('MISS');
    expect(header(res, 'cache-control')).toBe('private, max-age=86400');
  });

  it('limit, before and after (unix seconds or ISO) narrow the list', async () => {
    const token = tokenFor(h, athlete);
    const all = bodyOf(await get(token, { query: { limit: '200' } })).activities as any[];
    expect(bodyOf(await get(token, { query: { limit: '2' } })).activities).toHaveLength(2);
    const pivot = Date.parse(all[3].start_date) / 1000;
    const before = bodyOf(await get(token, { query: { before: String(pivot), limit: '200' } })).activities as any[];
    expect(before.map((a) => a.id)).toEqual(all.slice(4).map((a) => a.id));
    const after = bodyOf(await get(token, { query: { after: new Date(pivot * 1000).toISOString(), limit: '200' } })).activities as any[];
    expect(after.map((a) => a.id)).toEqual(all.slice(0, 3).map((a) => a.id));
  });

  it('a token without the athlete claim is resolved through the database', async () => {
    const res = await get(tokenFor(h, athlete, { claimAthlete: false }));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res).athlete_id).toBe(athlete);
  });

  it.each([
    [{ limit: '0' }, 'INVALID_LIMIT'],
    [{ limit: '201' }, 'INVALID_LIMIT'],
    [{ limit: 'ten' }, 'INVALID_LIMIT'],
    [{ limit: '-5' }, 'INVALID_LIMIT'],
    [{ before: 'yesterday' }, 'INVALID_TIME'],
    [{ after: '2024-13-45T99:00:00Z' }, 'INVALID_TIME'],
    [{ after: '1700000000', before: '1600000000' }, 'INVALID_RANGE'],
  ])('bad query %o is a 400 %s', async (query, code) => {
    expect(expectClientError(await get(tokenFor(h, athlete), { query }), 400)).toBe(code);
  });

  it('rejects missing, malformed, forged and expired tokens with 401 JSON', async () => {
    expect(expectClientError(await fn(event('/api/activities'), context('api-activities')), 401)).toBe('AUTH_REQUIRED');
    expect(expectClientError(await get('', { headers: { authorization: 'Basic abc' } }), 401)).toBe('AUTH_INVALID');
    expect(expectClientError(await get('not.a.jwt'), 401)).toBe('JWT_MALFORMED');
    const forged = tokenFor(h, athlete).replace(/\.[^.]+$/, '.AAAA');
    expect(expectClientError(await get(forged), 401)).toBe('JWT_BAD_SIGNATURE');
    const expiring = tokenFor(h, athlete, { ttlSeconds: 60 });
    h.clock.advance(10 * 60 * 1000);
    expect(expectClientError(await get(expiring), 401)).toBe('JWT_EXPIRED');
  });

  it('refuses other methods with 405 and an Allow header, and operator tokens with 403', async () => {
    const res = await get(tokenFor(h, athlete), { method: 'DELETE' });
    expect(expectClientError(res, 405)).toBe('METHOD_NOT_ALLOWED');
    expect(header(res, 'allow')).toBe('GET, HEAD');
    expect(expectClientError(await get(tokenFor(h, athlete, { role: 'service_role' })), 403)).toBe('FORBIDDEN_ROLE');
    expect(expectClientError(await get(tokenFor(h, athlete, { role: 'anon' })), 403)).toBe('FORBIDDEN_ROLE');
  });

  it("stamps rows with the function clock's time, not the database's: activities created/updated, the athlete's refreshed Strava tokens", async () => {
    const epochMs = async (text: string, params: unknown[]) =>
      (await h.sql.query<{ ms: string }>(`select (extract(epoch from x) * 1000)::bigint::text as ms from (${text}) t(x)`, params)).rows.map((r) => Number(r.ms));
    const token = tokenFor(h, athlete);
    const [first] = bodyOf(await get(token, { headers: { 'cache-control': 'no-cache' } })).activities;
    const created = h.clock.now();
    const id = Number(first.id) + 2_000_000;
    await upsertActivities(h.sql, athlete, [{ ...first, id }], created);
    expect(await epochMs('select created_at from public.activities where id = $1 union all select updated_at from public.activities where id = $1', [id])).toEqual([created, created]);
    h.clock.advance(3_600_000);
    await upsertActivities(h.sql, athlete, [{ ...first, id, name: 'Renamed on Strava' }], h.clock.now());
    expect(await epochMs('select created_at from public.activities where id = $1 union all select updated_at from public.activities where id = $1', [id])).toEqual([created, h.clock.now()]);

    // Strava's access token past its expiry: the next call refreshes it and records when, by the clock.
    await h.sql.query('update public.athletes set strava_token_expires_at = to_timestamp(0) where id = $1', [athlete]);
    h.clock.advance(60_000);
    await h.deps.strava.getAthlete((await stravaCredentials(h.sql, athlete, h.clock))!);
    expect(await epochMs('select updated_at from public.athletes where id = $1', [athlete])).toEqual([h.clock.now()]);
    expect(await epochMs('select strava_token_expires_at from public.athletes where id = $1', [athlete])).not.toEqual([0]);
  });

  it('stores a Strava activity whose name holds a NUL (Postgres cannot) with U+FFFD instead of failing the sync', async () => {
    const token = tokenFor(h, athlete);
    const [first] = bodyOf(await get(token, { headers: { 'cache-control': 'no-cache' } })).activities;
    const id = Number(first.id) + 1_000_000;
    const changed = await upsertActivities(h.sql, athlete, [{ ...first, id, name: 'Morning\u0000Ride', timezone: '(GMT+00:00)\u0000UTC' }], h.clock.now());
    expect(changed).toBe(1);
    const { rows } = await h.sql.query<{ name: string }>('select name from public.activities where id = $1', [id]);
    expect(rows[0]!.name).toBe('Morning\uFFFDRide');
  });
});
