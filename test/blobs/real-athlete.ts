import { randomUUID } from 'node:crypto';
import type { Sql } from '../../src/db/sql.js';

/** Inserts an athlete whose auth user is not the one derived from its id, as in production; returns the user id. */
export async function insertAthlete(sql: Sql, athleteId: number): Promise<string> {
  const userId = randomUUID();
  await sql.query('insert into auth.users (id, email) values ($1, $2)', [userId, `real-${athleteId}@example.com`]);
  await sql.query('insert into public.athletes (id, user_id) values ($1, $2)', [athleteId, userId]);
  return userId;
}
