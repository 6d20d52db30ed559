import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, rotateRefreshToken } from '../../src/auth/sessions.js';
import { verifyAccessToken } from '../../src/auth/jwt.js';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { ATHLETE_A, SECRET, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const PASSWORD = 'correct horse battery';

describe('Supabase Auth subset with supabase-js', () => {
  it('getUser(jwt) returns the user of a minted token', async () => {
    const jwt = h.tokenFor(ATHLETE_A);
    const { data, error } = await h.anon().auth.getUser(jwt);
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ id: userIdForAthlete(ATHLETE_A), email: 'strava-104662@veloready.app', aud: 'authenticated' });
  });

  it('getUser refuses a forged token and an unknown user', async () => {
    const forged = h.tokenFor(ATHLETE_A).slice(0, -4) + 'AAAA';
    const bad = await h.anon().auth.getUser(forged);
    expect(bad.data.user).toBeNull();
    expect(bad.error?.status).toBe(403);
    expect(bad.error?.code).toBe('bad_jwt');
    const ghost = await h.anon().auth.getUser(h.tokenFor(424242));
    expect(ghost.error?.code).toBe('user_not_found');
  });

  it('requests without an apikey are refused with 401', async () => {
    const res = await fetch(`${h.url}/auth/v1/user`, { headers: { Authorization: `Bearer ${h.tokenFor(ATHLETE_A)}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ msg: 'No API key found in request' });
    const userAsKey = await h.fetch('/auth/v1/user', { key: h.tokenFor(ATHLETE_A), jwt: h.tokenFor(ATHLETE_A) });
    expect(userAsKey.status).toBe(401);
    const forgedKey = await h.fetch('/auth/v1/user', { key: h.keys.anonKey.slice(0, -3) + 'abc', jwt: h.tokenFor(ATHLETE_A) });
    expect(forgedKey.status).toBe(401);
  });

  it('admin createUser, getUserById, updateUserById, listUsers with pagination, deleteUser', async () => {
    const admin = h.service().auth.admin;
    const created = await admin.createUser({ email: 'Coach@Example.com', password: PASSWORD, email_confirm: true, user_metadata: { team: 'A' } });
    expect(created.error).toBeNull();
    const user = created.data.user!;
    expect(user).toMatchObject({ email: 'coach@example.com', user_metadata: { team: 'A' }, app_metadata: { provider: 'email' } });
    expect(user.email_confirmed_at).toBeTruthy();

    const again = await admin.createUser({ email: 'coach@example.com', password: PASSWORD });
    expect(again.error?.status).toBe(422);
    expect(again.error?.code).toBe('email_exists');

    expect((await admin.getUserById(user.id)).data.user?.email).toBe('coach@example.com');
    const updated = await admin.updateUserById(user.id, { user_metadata: { level: 3 } });
    expect(updated.data.user?.user_metadata).toEqual({ team: 'A', level: 3 });
    // The user's own email under an upper-case id is not "another user's" email.
    const sameEmail = await h.fetch(`/auth/v1/admin/users/${user.id.toUpperCase()}`, {
      method: 'PUT',
      key: h.keys.serviceRoleKey,
      jwt: h.keys.serviceRoleKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'coach@example.com' }),
    });
    expect(sameEmail.status).toBe(200);
    // Go durations, `ms` included: 1h + 1500ms.
    const banned = await admin.updateUserById(user.id, { ban_duration: '1h1500ms' });
    expect(banned.error).toBeNull();
    // GoTrue answers banned_until; supabase-js's User type does not list it.
    const bannedUntil = (u: unknown) => (u as { banned_until?: string } | null)?.banned_until;
    expect(Date.parse(bannedUntil(banned.data.user)!)).toBe(h.clock.now() + 3_601_500);
    expect(bannedUntil((await admin.updateUserById(user.id, { ban_duration: 'none' })).data.user)).toBeUndefined();

    for (let i = 0; i < 3; i++) await admin.createUser({ email: `extra${i}@example.com` });
    const page1 = await admin.listUsers({ page: 1, perPage: 2 });
    expect(page1.error).toBeNull();
    expect(page1.data.users).toHaveLength(2);
    const total = (page1.data as unknown as { total: number }).total;
    expect(total).toBe(6);
    expect(page1.data).toMatchObject({ nextPage: 2, lastPage: 3 });
    const page3 = await admin.listUsers({ page: 3, perPage: 2 });
    expect(page3.data.users).toHaveLength(2);
    expect(page3.data).toMatchObject({ nextPage: null, lastPage: 3 });
    const everyone = await admin.listUsers();
    expect(everyone.data.users.map((u) => u.email)).toContain('coach@example.com');

    const deleted = await admin.deleteUser(user.id);
    expect(deleted.error).toBeNull();
    const gone = await admin.getUserById(user.id);
    expect(gone.error?.status).toBe(404);
    expect(gone.error?.code).toBe('user_not_found');
  });

  it('the admin API refuses the anon key and user tokens', async () => {
    const anon = await h.anon().auth.admin.listUsers();
    expect(anon.error?.status).toBe(403);
    expect(anon.error?.code).toBe('not_admin');
    const user = await h.asUser(h.tokenFor(ATHLETE_A)).auth.admin.createUser({ email: 'x@example.com' });
    expect(user.error?.status).toBe(403);
  });

  it('password sign-in returns a session whose access token the JWT core accepts', async () => {
    await h.service().auth.admin.createUser({ email: 'rider@example.com', password: PASSWORD, email_confirm: true });
    const wrong = await h.anon().auth.signInWithPassword({ email: 'rider@example.com', password: 'nope-nope' });
    expect(wrong.error?.status).toBe(400);
    expect(wrong.error?.code).toBe('invalid_credentials');
    const { data, error } = await h.anon().auth.signInWithPassword({ email: 'rider@example.com', password: PASSWORD });
    expect(error).toBeNull();
    const session = data.session!;
    expect(session).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
    expect(session.expires_at).toBe(Math.floor(h.clock.now() / 1000) + 3600);
    const claims = verifyAccessToken(session.access_token, { secret: SECRET, clock: h.clock });
    expect(claims).toMatchObject({ sub: data.user!.id, role: 'authenticated', email: 'rider@example.com' });
    expect(data.user?.last_sign_in_at).toBeTruthy();
  });

  it('refreshSession rotates the refresh token; reusing the old one signs the whole session out', async () => {
    await h.service().auth.admin.createUser({ email: 'rotate@example.com', password: PASSWORD });
    const client = h.anon();
    const signIn = await client.auth.signInWithPassword({ email: 'rotate@example.com', password: PASSWORD });
    const first = signIn.data.session!;

    const r1 = await h.anon().auth.refreshSession({ refresh_token: first.refresh_token });
    expect(r1.error).toBeNull();
    const second = r1.data.session!;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(verifyAccessToken(second.access_token, { secret: SECRET, clock: h.clock }).session_id).toBe(
      verifyAccessToken(first.access_token, { secret: SECRET, clock: h.clock }).session_id,
    );

    const reuse = await h.anon().auth.refreshSession({ refresh_token: first.refresh_token });
    expect(reuse.data.session).toBeNull();
    expect(reuse.error?.code).toBe('refresh_token_already_used');
    const after = await h.anon().auth.refreshSession({ refresh_token: second.refresh_token });
    expect(after.error?.code).toBe('refresh_token_already_used');
    const revoked = await h.anon().auth.getUser(second.access_token);
    expect(revoked.error?.name).toBe('AuthSessionMissingError');

    const unknown = await h.anon().auth.refreshSession({ refresh_token: 'made-up' });
    expect(unknown.error?.code).toBe('refresh_token_not_found');
  });

  it('one store: a token issued by the app rotates through /auth/v1 and vice versa', async () => {
    const userId = userIdForAthlete(ATHLETE_A);
    const { refreshToken } = await createSession(h.sql, { userId, athleteId: ATHLETE_A, clock: h.clock });
    const viaGoTrue = await h.anon().auth.refreshSession({ refresh_token: refreshToken });
    expect(viaGoTrue.error).toBeNull();
    expect(verifyAccessToken(viaGoTrue.data.session!.access_token, { secret: SECRET, clock: h.clock }).app_metadata?.athlete_id).toBe(ATHLETE_A);
    const viaApp = await rotateRefreshToken(h.sql, viaGoTrue.data.session!.refresh_token, { clock: h.clock });
    expect(viaApp.userId).toBe(userId);
    await expect(rotateRefreshToken(h.sql, refreshToken, { clock: h.clock })).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
  });

  it('signOut scopes: local ends this session, others ends the rest, global ends all', async () => {
    await h.service().auth.admin.createUser({ email: 'scopes@example.com', password: PASSWORD });
    const signIn = () => h.anon().auth.signInWithPassword({ email: 'scopes@example.com', password: PASSWORD });
    const [a, b, c] = [(await signIn()).data.session!, (await signIn()).data.session!, (await signIn()).data.session!];
    const admin = h.service().auth.admin;

    expect((await admin.signOut(a.access_token, 'local')).error).toBeNull();
    expect((await h.anon().auth.refreshSession({ refresh_token: a.refresh_token })).error).not.toBeNull();
    expect((await h.anon().auth.getUser(b.access_token)).error).toBeNull();

    expect((await admin.signOut(b.access_token, 'others')).error).toBeNull();
    expect((await h.anon().auth.refreshSession({ refresh_token: c.refresh_token })).error).not.toBeNull();
    const bNext = await h.anon().auth.refreshSession({ refresh_token: b.refresh_token });
    expect(bNext.error).toBeNull();

    expect((await admin.signOut(bNext.data.session!.access_token, 'global')).error).toBeNull();
    expect((await h.anon().auth.refreshSession({ refresh_token: bNext.data.session!.refresh_token })).error).not.toBeNull();
  });

  it('bad bodies and unknown routes get GoTrue errors, never a 500', async () => {
    const service = h.keys.serviceRoleKey;
    const cases: [string, RequestInit][] = [
      ['/auth/v1/token?grant_type=password', { method: 'POST', body: '{not json' }],
      ['/auth/v1/token?grant_type=password', { method: 'POST', body: '[1,2]' }],
      ['/auth/v1/token?grant_type=magic', { method: 'POST', body: '{}' }],
      ['/auth/v1/token?grant_type=refresh_token', { method: 'POST', body: '{"refresh_token": 42}' }],
      ['/auth/v1/admin/users', { method: 'POST', body: '{"email": "not-an-email"}', headers: { Authorization: `Bearer ${service}` } }],
      ['/auth/v1/admin/users', { method: 'POST', body: '{"email": "a@b.c", "password": "1"}', headers: { Authorization: `Bearer ${service}` } }],
      ['/auth/v1/admin/users/not-a-uuid', { method: 'GET', headers: { Authorization: `Bearer ${service}` } }],
      ['/auth/v1/admin/users?page=-1', { method: 'GET', headers: { Authorization: `Bearer ${service}` } }],
      ["/auth/v1/admin/users/'%3B%20drop%20table%20auth.users", { method: 'DELETE', headers: { Authorization: `Bearer ${service}` } }],
      ['/auth/v1/logout?scope=everything', { method: 'POST', headers: { Authorization: `Bearer ${h.tokenFor(ATHLETE_A)}` } }],
      ['/auth/v1/admin/users/%E0%A4%A', { method: 'GET', headers: { Authorization: `Bearer ${service}` } }],
      ['/auth/v1/admin/users', { method: 'PATCH', headers: { Authorization: `Bearer ${service}` } }],
      ['/auth/v1/nope', { method: 'GET' }],
    ];
    for (const [path, init] of cases) {
      const res = await h.fetch(path, init);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      const body = (await res.json()) as { msg?: string };
      expect(typeof body.msg, path).toBe('string');
    }
    expect((await h.sql.query(`select 1 from auth.users`)).rowCount).toBeGreaterThan(0);
  });
});
