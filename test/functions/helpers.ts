import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintAccessToken, type Role } from '../../src/auth/jwt.js';
import { emailForAthlete, userIdForAthlete } from '../../src/auth/user-id.js';
import { openSqliteBlobs, type SqliteBlobs } from '../../src/blobs/sqlite.js';
import { ManualClock } from '../../src/clock.js';
import type { NetlifyContext, NetlifyEvent, NetlifyResponse } from '../../src/emulator/types.js';
import type { FunctionDeps } from '../../src/functions/deps.js';
import { createRateLimitHub, type RateLimitHub } from '../../src/functions/lib/rate-limit-hub.js';
import { createAthleteDirectory } from '../../src/strava/fake-athletes.js';
import { startFakeStrava, type RunningFakeStrava } from '../../src/strava/fake-server.js';
import { createStravaClient } from '../../src/strava/client.js';
import { createOfflineAi } from '../../src/ai/offline.js';
import type { Queryable, Sql } from '../../src/db/sql.js';
import { migratedPglite, migratedPostgres } from '../helpers/db.js';

export const JWT_SECRET = 'functions-test-secret-0123456789abcdef0123456789';
export const VERIFY_TOKEN = 'verify-me';
/** Fixed "now" of every test: 2026-06-15 12:00 UTC. */
export const NOW_MS = Date.UTC(2026, 5, 15, 12, 0, 0);
/** Days of activities the fake Strava serves: small so tests stay fast. */
export const FAKE_DAYS = 21;

export interface Harness {
  deps: FunctionDeps;
  clock: ManualClock;
  sql: Sql;
  blobs: SqliteBlobs;
  strava: RunningFakeStrava;
  hub: RateLimitHub;
  /** Athlete ids the fake Strava knows (generated). */
  athleteIds: number[];
  /** Athletes the fake Strava was asked to deauthorize (`POST /oauth/deauthorize`), in order. */
  deauthorized: number[];
  close(): Promise<void>;
}

/** `postgres: true` runs on a fresh database of DATABASE_URL's server instead of PGlite. */
export async function harness(opts: { days?: number; athletes?: number; postgres?: boolean } = {}): Promise<Harness> {
  const clock = new ManualClock(NOW_MS);
  const pg = opts.postgres ? await migratedPostgres() : undefined;
  const sql: Sql = pg ? pg.sql : await migratedPglite();
  const dir = await mkdtemp(join(tmpdir(), 'veloready-fn-'));
  const blobs = openSqliteBlobs({ path: join(dir, 'blobs.sqlite'), clock, sweepIntervalMs: 0 });
  const directory = createAthleteDirectory({ count: opts.athletes ?? 3 });
  const deauthorized: number[] = [];
  const strava = await startFakeStrava({ clock, days: opts.days ?? FAKE_DAYS, athletes: directory, onDeauthorize: (id) => deauthorized.push(id) });
  const hub = createRateLimitHub();
  const client = createStravaClient({
    baseUrl: strava.url,
    clientId: strava.fake.clientId,
    clientSecret: strava.fake.clientSecret,
    clock,
    onRateLimit: hub.emit,
  });
  const deps: FunctionDeps = {
    sql,
    blobs,
    strava: client,
    ai: createOfflineAi(),
    clock,
    secrets: { jwtSecret: JWT_SECRET, stravaVerifyToken: VERIFY_TOKEN },
    config: { deepLink: 'veloready://auth' },
    rateLimits: hub,
  };
  return {
    deps,
    clock,
    sql,
    blobs,
    strava,
    hub,
    athleteIds: directory.list().map((a) => a.profile.id),
    deauthorized,
    async close() {
      await strava.close();
      await blobs.close();
      if (pg) await pg.drop();
      else await sql.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Puts an athlete, its auth user and fresh Strava tokens in the database (as `seed` would). */
export async function connectAthlete(h: Harness, athleteId: number): Promise<void> {
  const t = h.strava.fake.issueTokens(athleteId, { scope: 'read,activity:read_all' });
  const userId = userIdForAthlete(athleteId);
  await h.sql.query(
    `insert into auth.users (id, email, raw_app_meta_data) values ($1, $2, $3::jsonb) on conflict (id) do nothing`,
    [userId, emailForAthlete(athleteId), JSON.stringify({ provider: 'strava', athlete_id: athleteId })],
  );
  await h.sql.query(
    `insert into public.athletes (id, user_id, firstname, ftp, max_heartrate, strava_access_token, strava_refresh_token, strava_token_expires_at)
     values ($1, $2, 'Test', 250, 185, $3, $4, to_timestamp($5))
     on conflict (id) do update set strava_access_token = excluded.strava_access_token,
       strava_refresh_token = excluded.strava_refresh_token, strava_token_expires_at = excluded.strava_token_expires_at`,
    [athleteId, userId, t.access_token, t.refresh_token, t.expires_at],
  );
}

/** The same database behind a Sql that remembers every statement sent through it (transactions included). */
export function recordingSql(sql: Sql): { sql: Sql; statements: string[] } {
  const statements: string[] = [];
  const record = (q: Queryable): Queryable => ({
    query: (text, params) => {
      statements.push(text);
      return q.query(text, params);
    },
    exec: (script) => {
      statements.push(script);
      return q.exec(script);
    },
  });
  const recorded: Sql = {
    ...record(sql),
    target: sql.target,
    transaction: (fn) => sql.transaction((tx) => fn(record(tx))),
    close: () => sql.close(),
  };
  return { sql: recorded, statements };
}

export function tokenFor(h: Harness, athleteId: number, opts: { role?: Role; claimAthlete?: boolean; ttlSeconds?: number } = {}): string {
  const role = opts.role ?? 'authenticated';
  if (role === 'service_role') {
    return mintAccessToken({ secret: JWT_SECRET, clock: h.clock, role, extraClaims: { app_metadata: {} } }).token;
  }
  const minted = mintAccessToken({
    secret: JWT_SECRET,
    clock: h.clock,
    athleteId,
    role,
    ...(opts.ttlSeconds ? { ttlSeconds: opts.ttlSeconds } : {}),
    ...(opts.claimAthlete === false ? { extraClaims: { app_metadata: { provider: 'strava' } } } : {}),
  });
  return minted.token;
}

export interface EventInit {
  method?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | null;
  token?: string;
}

export function event(path: string, init: EventInit = {}): NetlifyEvent {
  const query = init.query ?? {};
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  const rawQuery = new URLSearchParams(query).toString();
  return {
    rawUrl: `http://127.0.0.1:8888${path}${rawQuery ? `?${rawQuery}` : ''}`,
    rawQuery,
    path,
    httpMethod: init.method ?? 'GET',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
    body: init.body ?? null,
    isBase64Encoded: false,
  };
}

export interface TestContext extends NetlifyContext {
  progress: Array<Record<string, unknown>>;
}

export function context(name: string, params: Record<string, string> = {}, signal?: AbortSignal): TestContext {
  const progress: Array<Record<string, unknown>> = [];
  return {
    functionName: name,
    awsRequestId: 'test',
    getRemainingTimeInMillis: () => 10_000,
    params,
    progress,
    reportProgress: (p) => progress.push(p),
    ...(signal ? { signal } : {}),
  };
}

export const bodyOf = <T = Record<string, any>>(res: NetlifyResponse): T => JSON.parse(res.body ?? 'null') as T;
export const header = (res: NetlifyResponse, name: string): string | undefined => {
  const v = res.headers?.[name.toLowerCase()];
  return v === undefined ? undefined : String(v);
};

/** Every client mistake is a 4xx with a JSON `{error:{code,message}}`. */
export function expectClientError(res: NetlifyResponse, status?: number): string {
  const body = bodyOf<{ error?: { code?: string; message?: string } }>(res);
  if (res.statusCode < 400 || res.statusCode >= 500) {
    throw new Error(`expected a 4xx, got ${res.statusCode}: ${res.body}`);
  }
  if (status !== undefined && res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`);
  if (typeof body?.error?.code !== 'string' || typeof body.error.message !== 'string') {
    throw new Error(`not a JSON error: ${res.body}`);
  }
  return body.error.code;
}
