import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { Sql } from '../../src/db/sql.js';
import {
  createSession,
  getSession,
  hashRefreshToken,
  revokeAllSessionsForAthlete,
  revokeAllSessionsForUser,
  revokeSession,
  rotateRefreshToken,
} from '../../src/auth/sessions.js';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { migratedPglite, migratedPostgres } from '../helpers/db.js';

const T0 = Date.parse('2026-03-01T08:00:00Z');
const DAY_MS = 86_400_000;

async function addAthlete(sql: Sql, athleteId: number): Promise<string> {
  const userId = userIdForAthlete(athleteId);
  await sql.query(`insert into auth.users (id, email) values ($1, $2)`, [userId, `strava-${athleteId}@veloready.app`]);
  await sql.query(`insert into public.athletes (id, user_id, firstname) values ($1, $2, 'Test')`, [athleteId, userId]);
  return userId;
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ code });
}

function sessionSuite(open: () => Promise<{ sql: Sql; close(): Promise<void> }>): void {
  let sql: Sql;
  let close: () => Promise<void>;
  let clock: ManualClock;
  let userId: string;
  let athlete = 104662;
  let other = 10;

  beforeAll(async () => {
    ({ sql, close } = await open());
  });
  afterAll(async () => {
    await close();
  });
  beforeEach(async () => {
    clock = new ManualClock(T0);
    athlete += 1000;
    other += 1000;
    userId = await addAthlete(sql, athlete);
  });

  it('stores only the sha256 of a refresh token, never the token', async () => {
    const { refreshToken } = await createSession(sql, { userId, athleteId: athlete, clock });
    expect(refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { rows } = await sql.query<{ token_hash: string }>(`select token_hash from public.refresh_tokens where user_id = $1`, [userId]);
    expect(rows).toEqual([{ token_hash: hashRefreshToken(refreshToken) }]);
    const dump = JSON.stringify((await sql.query(`select * from public.refresh_tokens where user_id = $1`, [userId])).rows);
    expect(dump).not.toContain(refreshToken);
  });

  it('rotation returns a new token in the same session and the old one stops working', async () => {
    const first = await createSession(sql, { userId, athleteId: athlete, clock });
    clock.advance(60_000);
    const second = await rotateRefreshToken(sql, first.refreshToken, { clock });
    expect(second).toMatchObject({ sessionId: first.sessionId, userId, athleteId: athlete });
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const third = await rotateRefreshToken(sql, second.refreshToken, { clock });
    expect(third.sessionId).toBe(first.sessionId);
    expect((await getSession(sql, first.sessionId))?.lastRefreshedAt?.getTime()).toBe(T0 + 60_000);
  });

  it('reusing a rotated token revokes the whole session, including the newest token', async () => {
    const first = await createSession(sql, { userId, clock });
    const second = await rotateRefreshToken(sql, first.refreshToken, { clock });
    await expectCode(rotateRefreshToken(sql, first.refreshToken, { clock }), 'REFRESH_TOKEN_REUSED');
    const session = await getSession(sql, first.sessionId);
    expect(session?.revokedAt).not.toBeNull();
    expect(session?.revokedReason).toBe('refresh_token_reused');
    await expectCode(rotateRefreshToken(sql, second.refreshToken, { clock }), 'REFRESH_TOKEN_REUSED');
  });

  it('an expired refresh token is refused as expired; an unknown one as invalid', async () => {
    const { refreshToken } = await createSession(sql, { userId, clock, refreshTtlS: 3600 });
    clock.advance(3600_000);
    await expectCode(rotateRefreshToken(sql, refreshToken, { clock }), 'REFRESH_TOKEN_EXPIRED');
    await expectCode(rotateRefreshToken(sql, 'not-a-token', { clock }), 'REFRESH_TOKEN_INVALID');
    await expectCode(rotateRefreshToken(sql, '', { clock }), 'REFRESH_TOKEN_INVALID');
    await expectCode(rotateRefreshToken(sql, "x'; drop table public.refresh_tokens; --", { clock }), 'REFRESH_TOKEN_INVALID');
    expect((await sql.query(`select 1 from public.refresh_tokens where user_id = $1`, [userId])).rowCount).toBe(1);
  });

  it('the default refresh lifetime is 30 days', async () => {
    const { refreshToken, expiresAt } = await createSession(sql, { userId, clock });
    expect(expiresAt.getTime()).toBe(T0 + 30 * DAY_MS);
    clock.advance(30 * DAY_MS - 1000);
    await expect(rotateRefreshToken(sql, refreshToken, { clock })).resolves.toBeTruthy();
  });

  it('two concurrent rotations of one token: exactly one gets a new token', async () => {
    const { refreshToken } = await createSession(sql, { userId, clock });
    const results = await Promise.allSettled([
      rotateRefreshToken(sql, refreshToken, { clock }),
      rotateRefreshToken(sql, refreshToken, { clock }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
  });

  it('revokeSession signs one session out; others of the user keep working', async () => {
    const a = await createSession(sql, { userId, clock });
    const b = await createSession(sql, { userId, clock });
    expect(await revokeSession(sql, a.sessionId, { clock })).toBe(true);
    expect(await revokeSession(sql, a.sessionId, { clock })).toBe(false);
    await expectCode(rotateRefreshToken(sql, a.refreshToken, { clock }), 'REFRESH_TOKEN_REUSED');
    await expect(rotateRefreshToken(sql, b.refreshToken, { clock })).resolves.toMatchObject({ sessionId: b.sessionId });
  });

  it('deauthorizing an athlete revokes all of its sessions and leaves other athletes alone', async () => {
    const otherUser = await addAthlete(sql, other);
    const a1 = await createSession(sql, { userId, athleteId: athlete, clock });
    const a2 = await createSession(sql, { userId, athleteId: athlete, clock });
    const otherSession = await createSession(sql, { userId: otherUser, athleteId: other, clock });
    expect(await revokeAllSessionsForAthlete(sql, athlete, { clock })).toBe(2);
    await expectCode(rotateRefreshToken(sql, a1.refreshToken, { clock }), 'REFRESH_TOKEN_REUSED');
    await expectCode(rotateRefreshToken(sql, a2.refreshToken, { clock }), 'REFRESH_TOKEN_REUSED');
    await expect(rotateRefreshToken(sql, otherSession.refreshToken, { clock })).resolves.toBeTruthy();
    expect((await getSession(sql, a1.sessionId))?.revokedReason).toBe('deauthorized');
  });

  it('revokeAllSessionsForUser can spare the current session (scope=others)', async () => {
    const keep = await createSession(sql, { userId, clock });
    const drop = await createSession(sql, { userId, clock });
    expect(await revokeAllSessionsForUser(sql, userId, { clock, exceptSessionId: keep.sessionId })).toBe(1);
    await expect(rotateRefreshToken(sql, keep.refreshToken, { clock })).resolves.toBeTruthy();
    await expectCode(rotateRefreshToken(sql, drop.refreshToken, { clock }), 'REFRESH_TOKEN_REUSED');
  });
}

describe('sessions and refresh-token rotation (embedded PGlite)', () => {
  sessionSuite(async () => {
    const sql = await migratedPglite();
    return { sql, close: () => sql.close() };
  });
});

describe.skipIf(!process.env.DATABASE_URL)('sessions and refresh-token rotation (PostgreSQL server)', () => {
  sessionSuite(async () => {
    const db = await migratedPostgres();
    return { sql: db.sql, close: () => db.drop() };
  });
});
