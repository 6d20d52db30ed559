import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { ManualClock } from '../../src/clock.js';
import type { Sql } from '../../src/db/sql.js';
import { mintAccessToken } from '../../src/auth/jwt.js';
import { emailForAthlete, userIdForAthlete } from '../../src/auth/user-id.js';
import { createSupabaseHandler } from '../../src/supabase/handler.js';
import { localKeys, type LocalKeys } from '../../src/supabase/keys.js';
import { migratedPglite, migratedPostgres } from '../helpers/db.js';

export const SECRET = 'test-secret-for-the-supabase-emulator-0123456789';
export const ATHLETE_A = 104662;
export const ATHLETE_B = 10;

export interface Harness {
  url: string;
  sql: Sql;
  clock: ManualClock;
  keys: LocalKeys;
  /** A supabase-js client with the anon key, as an app would create it. */
  anon(): SupabaseClient;
  /** A supabase-js client with the service-role key. */
  service(): SupabaseClient;
  /** A supabase-js client acting as a user (Authorization: Bearer <jwt>), like the production functions. */
  asUser(jwt: string): SupabaseClient;
  tokenFor(athleteId: number): string;
  fetch(path: string, init?: RequestInit & { key?: string; jwt?: string }): Promise<Response>;
  close(): Promise<void>;
}

const AUTH_OPTS = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };

export async function seedAthlete(sql: Sql, athleteId: number, activities: number): Promise<void> {
  const userId = userIdForAthlete(athleteId);
  await sql.query(`insert into auth.users (id, email) values ($1, $2)`, [userId, emailForAthlete(athleteId)]);
  await sql.query(`insert into public.athletes (id, user_id, firstname, lastname) values ($1, $2, 'Rider', $3)`, [
    athleteId,
    userId,
    `#${athleteId}`,
  ]);
  for (let i = 0; i < activities; i++) {
    const start = new Date(Date.UTC(2026, 1, 1 + i, 7)).toISOString();
    await sql.query(
      `insert into public.activities (id, athlete_id, name, type, sport_type, start_date, start_date_local, distance, moving_time)
       values ($1, $2, $3, 'Ride', 'Ride', $4, $4::timestamptz at time zone 'UTC', $5, $6)`,
      [athleteId * 1000 + i, athleteId, `Ride ${i} of ${athleteId}`, start, 20000 + i * 1000, 3600 + i],
    );
  }
}

export interface TestDb {
  sql: Sql;
  close(): Promise<void>;
}

export async function pgliteDb(): Promise<TestDb> {
  const sql = await migratedPglite();
  return { sql, close: () => sql.close() };
}

/** A fresh database on DATABASE_URL's server (dropped on close). */
export async function postgresDb(): Promise<TestDb> {
  const db = await migratedPostgres();
  return { sql: db.sql, close: () => db.drop() };
}

export async function startHarness(open: () => Promise<TestDb> = pgliteDb): Promise<Harness> {
  const db = await open();
  const sql = db.sql;
  const clock = new ManualClock(Date.now());
  await seedAthlete(sql, ATHLETE_A, 40);
  await seedAthlete(sql, ATHLETE_B, 5);
  const supabase = createSupabaseHandler({ sql, secret: SECRET, clock });
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (await supabase(req, res)) return;
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":{"code":"NOT_FOUND","message":"no route"}}');
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const keys = localKeys(SECRET);
  return {
    url,
    sql,
    clock,
    keys,
    anon: () => createClient(url, keys.anonKey, AUTH_OPTS),
    service: () => createClient(url, keys.serviceRoleKey, AUTH_OPTS),
    asUser: (jwt) => createClient(url, keys.anonKey, { ...AUTH_OPTS, global: { headers: { Authorization: `Bearer ${jwt}` } } }),
    tokenFor: (athleteId) => mintAccessToken({ secret: SECRET, clock, athleteId }).token,
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (init.key !== undefined) headers.set('apikey', init.key);
      else if (!headers.has('apikey')) headers.set('apikey', keys.anonKey);
      if (init.jwt) headers.set('Authorization', `Bearer ${init.jwt}`);
      return fetch(`${url}${path}`, { ...init, headers });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}
