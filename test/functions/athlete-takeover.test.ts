import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAccessToken } from '../../src/auth/jwt.js';
import { createSession, rotateRefreshToken } from '../../src/auth/sessions.js';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { withClaims } from '../../src/db/rls.js';
import type { Handler } from '../../src/emulator/types.js';
import { createApiActivitiesHandler } from '../../src/functions/api-activities.js';
import { createApiStreamsHandler } from '../../src/functions/api-streams.js';
import { createOauthStravaTokenExchangeHandler } from '../../src/functions/oauth-strava-token-exchange.js';
import { bodyOf, connectAthlete, context, event, harness, JWT_SECRET, tokenFor, type Harness } from './helpers.js';

const ATTACKER_USER = '0a77ac4e-0000-4000-8000-00000000a77c';

/** Issue 15 §1 and §2, through the functions: a claimed athlete id, and a stream row about someone else's ride. */
function takeoverSuite(postgres: boolean): void {
  let h: Harness;
  let oauth: Handler;
  let activities: Handler;
  let streams: Handler;
  const logged: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    h = await harness({ postgres });
    h.deps.log = (line) => logged.push(line);
    oauth = createOauthStravaTokenExchangeHandler(h.deps);
    activities = createApiActivitiesHandler(h.deps);
    streams = createApiStreamsHandler(h.deps);
  });
  afterAll(() => h.close());

  it("OAuth for a victim whose Strava id another user claimed re-owns the row, revokes the claimant's sessions and logs it", async () => {
    const victim = h.athleteIds[2]!;
    // The claim as it could be made before this fix (written here with the service's rights).
    await h.sql.query(`insert into auth.users (id, email) values ($1, 'attacker@example.com')`, [ATTACKER_USER]);
    await h.sql.query(`insert into public.athletes (id, user_id, firstname) values ($1, $2, 'Claimed')`, [victim, ATTACKER_USER]);
    const session = await createSession(h.sql, { userId: ATTACKER_USER, clock: h.clock });
    const attackerToken = mintAccessToken({ secret: JWT_SECRET, clock: h.clock, userId: ATTACKER_USER, sessionId: session.sessionId }).token;
    expect((await activities(event('/api/activities', { token: attackerToken }), context('api-activities'))).statusCode).toBe(200);

    const code = h.strava.fake.issueCode(victim, 'read,activity:read_all');
    const res = await oauth(event('/oauth/strava/callback', { query: { code } }), context('oauth-strava-token-exchange'));
    expect(res.statusCode).toBe(200);
    const victimToken = bodyOf(res).access_token as string;

    const { rows } = await h.sql.query<{ user_id: string }>('select user_id::text as user_id from public.athletes where id = $1', [victim]);
    expect(rows[0]!.user_id).toBe(userIdForAthlete(victim));
    const denied = await activities(event('/api/activities', { token: attackerToken }), context('api-activities'));
    expect(denied.statusCode).toBe(401);
    expect(bodyOf(denied).error.code).toBe('SESSION_REVOKED');
    await expect(rotateRefreshToken(h.sql, session.refreshToken, { clock: h.clock })).rejects.toThrow();
    const seenByAttacker = await withClaims(h.sql, { sub: ATTACKER_USER, role: 'authenticated' }, (tx) =>
      tx.query('select id from public.athletes'),
    );
    expect(seenByAttacker.rows).toEqual([]);
    const mine = await activities(event('/api/activities', { token: victimToken }), context('api-activities'));
    expect(mine.statusCode).toBe(200);
    expect(bodyOf(mine).activities.length).toBeGreaterThan(0);
    const line = logged.find((l) => String(l['message']).includes(`athlete ${victim} was held by user ${ATTACKER_USER}`));
    expect(line?.['message']).toContain('1 session(s) of that user revoked');
  });

  it("OAuth whose user already holds another athlete row answers 409 ATHLETE_CONFLICT and changes nothing", async () => {
    const athlete = h.athleteIds[1]!;
    await h.sql.query(`insert into auth.users (id, email) values ($1, 'held@example.com') on conflict do nothing`, [userIdForAthlete(athlete)]);
    await h.sql.query(`insert into public.athletes (id, user_id) values (31337, $1)`, [userIdForAthlete(athlete)]);
    const code = h.strava.fake.issueCode(athlete, 'read');
    const res = await oauth(event('/oauth/strava/callback', { query: { code } }), context('oauth-strava-token-exchange'));
    expect(res.statusCode).toBe(409);
    expect(bodyOf(res).error.code).toBe('ATHLETE_CONFLICT');
    expect((await h.sql.query('select 1 from public.athletes where id = $1', [athlete])).rowCount).toBe(0);
    await h.sql.query('delete from public.athletes where id = 31337');
  });

  it("a tenant cannot store a stream row for another tenant's activity, and the owner's /api/streams/:id stays 200", async () => {
    const [attacker, owner] = h.athleteIds as [number, number];
    await connectAthlete(h, attacker);
    await connectAthlete(h, owner);
    const ownerIds = bodyOf(await activities(event('/api/activities', { token: tokenFor(h, owner) }), context('x'))).activities.map(
      (a: { id: number }) => a.id,
    ) as number[];
    await activities(event('/api/activities', { token: tokenFor(h, attacker) }), context('x'));
    const [target, poisoned] = ownerIds as [number, number];
    for (const athleteId of [attacker, owner]) {
      const attempt = withClaims(h.sql, { sub: userIdForAthlete(attacker), role: 'authenticated' }, (tx) =>
        tx.query(`insert into public.activity_streams (activity_id, athlete_id, stream_type, data) values ($1, $2, 'watts', '[1]')`, [
          target,
          athleteId,
        ]),
      );
      await expect(attempt).rejects.toMatchObject({ code: '42501' });
    }
    const first = await streams(event(`/api/streams/${target}`, { token: tokenFor(h, owner) }), context('api-streams', { activityId: String(target) }));
    expect(first.statusCode).toBe(200);

    // A row like that written before the fix (here by the service) costs the owner a Strava call, never an error.
    await h.sql.query(`insert into public.activity_streams (activity_id, athlete_id, stream_type, data) values ($1, $2, 'time', '[1]')`, [
      poisoned,
      attacker,
    ]);
    for (let i = 0; i < 2; i++) {
      const res = await streams(
        event(`/api/streams/${poisoned}`, { token: tokenFor(h, owner), headers: { 'cache-control': 'no-cache' } }),
        context('api-streams', { activityId: String(poisoned) }),
      );
      expect(res.statusCode).toBe(200);
      expect(bodyOf(res).streams.time.data.length).toBeGreaterThan(10);
    }
    expect(logged.filter((l) => l['message'] === `streams of activity ${poisoned} not stored`)).toHaveLength(2);
  });
}

describe('athlete takeover and cross-tenant streams on PGlite', () => takeoverSuite(false));
describe.skipIf(!process.env.DATABASE_URL)('athlete takeover and cross-tenant streams on Postgres', () => takeoverSuite(true));
