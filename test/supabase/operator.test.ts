import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAccessToken } from '../../src/auth/jwt.js';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { systemClock } from '../../src/clock.js';
import { localKeys } from '../../src/supabase/keys.js';
import { runCli, scratchDir } from '../helpers/cli.js';
import { startTestServe, TEST_SECRET, type TestServe } from '../serve/helpers.js';

/** serve stands in for a managed Supabase project: Auth Admin API + a Postgres connection string. */
let serve: TestServe;
let env: Record<string, string>;
const noSession = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };

beforeAll(async () => {
  serve = await startTestServe();
  const keys = localKeys(TEST_SECRET);
  env = {
    SUPABASE_URL: serve.url,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
    SUPABASE_ANON_KEY: keys.anonKey,
    DATABASE_URL: `postgres://postgres@127.0.0.1:${serve.pgPort}/postgres`,
  };
}, 120_000);
afterAll(async () => serve?.stop());

const FIRST = 1_000_001;

describe('veloready seed --supabase', () => {
  it('creates auth users through the Admin API, then athletes and activities linked to them', async () => {
    const r = await runCli(['--json', 'seed', '--supabase', '--athletes', '3', '--days', '20', '--seed', '9'], { cwd: scratchDir(), env });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.supabaseUsers).toMatchObject({ created: 3, existing: 0 });
    expect(out.inserted.users).toBe(0); // auth.users was written by the Auth server, not by us
    expect(out.inserted.athletes).toBe(3);

    const admin = createClient(serve.url, env.SUPABASE_SERVICE_ROLE_KEY!, noSession);
    const { data } = await admin.auth.admin.getUserById(userIdForAthlete(FIRST));
    expect(data.user).toMatchObject({ email: `strava-${FIRST}@veloready.app`, app_metadata: { athlete_id: FIRST, seeded: true } });

    // The seeded athlete's own token, through supabase-js and RLS, sees only its own activities.
    const token = mintAccessToken({ secret: TEST_SECRET, clock: systemClock, athleteId: FIRST }).token;
    const asAthlete = createClient(serve.url, env.SUPABASE_ANON_KEY!, { ...noSession, global: { headers: { Authorization: `Bearer ${token}` } } });
    const { data: rows, error } = await asAthlete.from('activities').select('athlete_id').limit(1000);
    expect(error).toBeNull();
    expect(rows!.length).toBeGreaterThan(5);
    expect(new Set(rows!.map((x) => Number(x.athlete_id)))).toEqual(new Set([FIRST]));
  });

  it('is idempotent: a second run creates and writes nothing', async () => {
    const r = await runCli(['--json', 'seed', '--supabase', '--athletes', '3', '--days', '20', '--seed', '9'], { cwd: scratchDir(), env });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.supabaseUsers).toMatchObject({ created: 0, existing: 3 });
    expect(out.inserted).toEqual({ users: 0, athletes: 0, activities: 0, streams: 0 });
  });

  it('--reset deletes the seeded users through the Admin API, and their rows with them; other users stay', async () => {
    const admin = createClient(serve.url, env.SUPABASE_SERVICE_ROLE_KEY!, noSession);
    const { data: real } = await admin.auth.admin.createUser({ email: 'a-real-user@example.com', email_confirm: true });
    const r = await runCli(['--json', 'seed', '--supabase', '--reset', '--athletes', '1', '--days', '10', '--seed', '9'], { cwd: scratchDir(), env });
    expect(r.exitCode, r.stderr).toBe(0);
    // The 3 from before, and serve's demo athlete, which serve also seeded.
    expect(JSON.parse(r.stdout).supabaseUsers).toMatchObject({ deleted: 4, created: 1 });
    const { rows } = await serve.sql.query<{ id: string }>('select id::text as id from public.athletes order by id');
    expect(rows.map((x) => Number(x.id))).toEqual([FIRST]);
    expect((await admin.auth.admin.getUserById(real.user!.id)).data.user?.email).toBe('a-real-user@example.com');
  });

  it('says which variables are missing', async () => {
    const r = await runCli(['seed', '--supabase'], { cwd: scratchDir(), env: { SUPABASE_URL: serve.url } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('SUPABASE_SERVICE_ROLE_KEY');
    expect(r.stderr).toContain('DATABASE_URL');
  });
});

describe('veloready token verify --remote', () => {
  it('the project accepts a token signed with its secret', async () => {
    const token = mintAccessToken({ secret: TEST_SECRET, clock: systemClock, athleteId: FIRST }).token;
    const r = await runCli(['--json', 'token', 'verify', '--remote', token], { cwd: scratchDir(), env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, remote: serve.url, user: { id: userIdForAthlete(FIRST) } });
  });

  it('the project refuses a token signed with another secret', async () => {
    const forged = mintAccessToken({ secret: 'a-forger-does-not-know-the-secret-at-all', clock: systemClock, athleteId: 104662 }).token;
    const r = await runCli(['--json', 'token', 'verify', '--remote', forged], { cwd: scratchDir(), env });
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('REMOTE_REJECTED');
  });

  it('without SUPABASE_URL it says what to set', async () => {
    const r = await runCli(['token', 'verify', '--remote', 'x.y.z'], { cwd: scratchDir() });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('SUPABASE_URL');
  });
});
