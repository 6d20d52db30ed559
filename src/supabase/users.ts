import type { Clock } from '../clock.js';
import type { Queryable, Sql } from '../db/sql.js';
import { UUID_RE } from '../auth/user-id.js';
import { hashPassword } from './passwords.js';

/** auth.users as the GoTrue subset reads and writes it (the admin API, sign-in, getUser). */

export const DEFAULT_AUD = 'authenticated';

export interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  encrypted_password: string | null;
  email_confirmed_at: unknown;
  phone: string | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  is_anonymous: boolean | null;
  banned_until: unknown;
  last_sign_in_at: unknown;
  created_at: unknown;
  updated_at: unknown;
}

/** GoTrue's user object, as auth-js's `User` type has it. */
export interface GoTrueUser {
  id: string;
  aud: string;
  role: string;
  email: string;
  email_confirmed_at?: string;
  phone: string;
  confirmed_at?: string;
  last_sign_in_at?: string;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  identities: unknown[];
  created_at: string;
  updated_at: string;
  is_anonymous: boolean;
  banned_until?: string;
}

const COLUMNS = `id, aud, role, email, encrypted_password, email_confirmed_at, phone, raw_app_meta_data,
  raw_user_meta_data, is_anonymous, banned_until, last_sign_in_at, created_at, updated_at`;

const iso = (v: unknown): string | undefined =>
  v === null || v === undefined ? undefined : (v instanceof Date ? v : new Date(String(v))).toISOString();

const jsonObject = (v: unknown): Record<string, unknown> => {
  const parsed = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
};

export function toGoTrueUser(row: UserRow): GoTrueUser {
  const confirmed = iso(row.email_confirmed_at);
  const banned = iso(row.banned_until);
  const lastSignIn = iso(row.last_sign_in_at);
  return {
    id: row.id,
    aud: row.aud ?? DEFAULT_AUD,
    role: row.role ?? 'authenticated',
    email: row.email ?? '',
    ...(confirmed ? { email_confirmed_at: confirmed } : {}),
    phone: row.phone ?? '',
    ...(confirmed ? { confirmed_at: confirmed } : {}),
    ...(lastSignIn ? { last_sign_in_at: lastSignIn } : {}),
    app_metadata: jsonObject(row.raw_app_meta_data),
    user_metadata: jsonObject(row.raw_user_meta_data),
    identities: [],
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    is_anonymous: row.is_anonymous ?? false,
    ...(banned ? { banned_until: banned } : {}),
  };
}

export async function findUserById(q: Queryable, id: string): Promise<UserRow | null> {
  if (!UUID_RE.test(id)) return null;
  const { rows } = await q.query<UserRow>(`select ${COLUMNS} from auth.users where id = $1`, [id]);
  return rows[0] ?? null;
}

export async function findUserByEmail(q: Queryable, email: string): Promise<UserRow | null> {
  const { rows } = await q.query<UserRow>(`select ${COLUMNS} from auth.users where lower(email) = lower($1)`, [email]);
  return rows[0] ?? null;
}

export async function listUsers(q: Queryable, page: number, perPage: number): Promise<{ users: UserRow[]; total: number }> {
  const { rows } = await q.query<UserRow>(
    `select ${COLUMNS} from auth.users order by created_at, id limit $1 offset $2`,
    [perPage, (page - 1) * perPage],
  );
  const count = await q.query<{ n: unknown }>(`select count(*) as n from auth.users`);
  return { users: rows, total: Number(count.rows[0]!.n) };
}

export interface UserAttributes {
  id?: string;
  email?: string;
  password?: string;
  phone?: string;
  emailConfirm?: boolean;
  userMetadata?: Record<string, unknown>;
  appMetadata?: Record<string, unknown>;
  role?: string;
  /** Seconds the user is banned for from now; 0 lifts a ban. */
  banSeconds?: number;
}

export async function insertUser(sql: Sql, attrs: UserAttributes, clock: Clock): Promise<UserRow> {
  const now = new Date(clock.now()).toISOString();
  const password = attrs.password === undefined ? null : await hashPassword(attrs.password);
  const appMeta = { provider: 'email', providers: ['email'], ...attrs.appMetadata };
  const { rows } = await sql.query<UserRow>(
    `insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at, phone,
        raw_app_meta_data, raw_user_meta_data, banned_until, created_at, updated_at)
     values (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $11)
     returning ${COLUMNS}`,
    [
      attrs.id ?? null,
      DEFAULT_AUD,
      attrs.role ?? 'authenticated',
      attrs.email?.toLowerCase() ?? null,
      password,
      attrs.emailConfirm ? now : null,
      attrs.phone ?? null,
      JSON.stringify(appMeta),
      JSON.stringify(attrs.userMetadata ?? {}),
      banUntil(attrs.banSeconds, clock),
      now,
    ],
  );
  return rows[0]!;
}

function banUntil(banSeconds: number | undefined, clock: Clock): string | null {
  if (banSeconds === undefined || banSeconds <= 0) return null;
  return new Date(clock.now() + banSeconds * 1000).toISOString();
}

/** Updates the given attributes; metadata objects are merged like GoTrue does. Null when unknown. */
export async function updateUser(sql: Sql, id: string, attrs: UserAttributes, clock: Clock): Promise<UserRow | null> {
  const existing = await findUserById(sql, id);
  if (!existing) return null;
  const now = new Date(clock.now()).toISOString();
  const sets: string[] = ['updated_at = $2'];
  const params: unknown[] = [id, now];
  const set = (column: string, value: unknown, cast = ''): void => {
    params.push(value);
    sets.push(`${column} = $${params.length}${cast}`);
  };
  if (attrs.email !== undefined) set('email', attrs.email.toLowerCase());
  if (attrs.password !== undefined) set('encrypted_password', await hashPassword(attrs.password));
  if (attrs.phone !== undefined) set('phone', attrs.phone);
  if (attrs.role !== undefined) set('role', attrs.role);
  if (attrs.emailConfirm !== undefined) set('email_confirmed_at', attrs.emailConfirm ? now : null);
  if (attrs.userMetadata !== undefined) {
    set('raw_user_meta_data', JSON.stringify({ ...jsonObject(existing.raw_user_meta_data), ...attrs.userMetadata }), '::jsonb');
  }
  if (attrs.appMetadata !== undefined) {
    set('raw_app_meta_data', JSON.stringify({ ...jsonObject(existing.raw_app_meta_data), ...attrs.appMetadata }), '::jsonb');
  }
  if (attrs.banSeconds !== undefined) set('banned_until', banUntil(attrs.banSeconds, clock));
  const { rows } = await sql.query<UserRow>(
    `update auth.users set ${sets.join(', ')} where id = $1 returning ${COLUMNS}`,
    params,
  );
  return rows[0] ?? null;
}

export async function deleteUser(sql: Sql, id: string): Promise<UserRow | null> {
  if (!UUID_RE.test(id)) return null;
  const { rows } = await sql.query<UserRow>(`delete from auth.users where id = $1 returning ${COLUMNS}`, [id]);
  return rows[0] ?? null;
}

export async function recordSignIn(q: Queryable, id: string, clock: Clock): Promise<void> {
  await q.query(`update auth.users set last_sign_in_at = $2 where id = $1`, [id, new Date(clock.now()).toISOString()]);
}

/** The athlete a user signs in as, if one is linked. */
export async function athleteIdForUser(q: Queryable, userId: string): Promise<number | null> {
  const { rows } = await q.query<{ id: unknown }>(`select id from public.athletes where user_id = $1`, [userId]);
  return rows[0] ? Number(rows[0].id) : null;
}
