import { UUID_RE } from '../auth/user-id.js';
import { revokeAllSessionsForUser } from '../auth/sessions.js';
import { corsHeaders, sendJson } from './http.js';
import { GoTrueError, badRequest } from './gotrue-errors.js';
import { bodyObject, reply, type Ctx } from './gotrue-context.js';
import {
  deleteUser,
  findUserByEmail,
  findUserById,
  insertUser,
  listUsers,
  toGoTrueUser,
  updateUser,
  type UserAttributes,
} from './users.js';

/** GoTrue's admin users API (`/admin/users[/:id]`), for the service-role key only. */

export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 1000;
const MAX_PASSWORD_LENGTH = 72;
const MIN_PASSWORD_LENGTH = 6;

/** Answers an admin request; `id` is the decoded path segment when there is one. */
export async function adminRoute(ctx: Ctx, method: string, id: string | undefined): Promise<void> {
  if (id === undefined && method === 'GET') return adminList(ctx);
  if (id === undefined && method === 'POST') return adminCreate(ctx);
  if (id !== undefined && method === 'GET') return adminGet(ctx, id);
  if (id !== undefined && method === 'PUT') return adminUpdate(ctx, id);
  if (id !== undefined && method === 'DELETE') return adminDelete(ctx, id);
  throw new GoTrueError(405, 'method_not_allowed', `${method} is not allowed on the admin users API`);
}

function positiveInt(value: string | null, fallback: number, name: string, max: number): number {
  if (value === null || value === '') return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw badRequest('validation_failed', `${name} must be a positive integer`);
  return Math.min(Number(value), max);
}

async function adminList(ctx: Ctx): Promise<void> {
  const page = positiveInt(ctx.url.searchParams.get('page'), 1, 'page', 1e9);
  const perPage = positiveInt(ctx.url.searchParams.get('per_page'), DEFAULT_PER_PAGE, 'per_page', MAX_PER_PAGE);
  const { users, total } = await listUsers(ctx.sql, page, perPage);
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const link = (p: number, rel: string): string => `</admin/users?page=${p}&per_page=${perPage}>; rel="${rel}"`;
  const links: string[] = [];
  if (page < lastPage) links.push(link(page + 1, 'next'));
  links.push(link(lastPage, 'last'));
  sendJson(
    ctx.res,
    200,
    { users: users.map(toGoTrueUser), aud: 'authenticated' },
    { ...corsHeaders(), 'X-Total-Count': String(total), Link: links.join(', ') },
  );
}

function attributes(body: Record<string, unknown>, creating: boolean): UserAttributes {
  const attrs: UserAttributes = {};
  const str = (k: string): string | undefined => {
    const v = body[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw badRequest('validation_failed', `${k} must be a string`);
    return v;
  };
  const obj = (k: string): Record<string, unknown> | undefined => {
    const v = body[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw badRequest('validation_failed', `${k} must be a JSON object`);
    return v as Record<string, unknown>;
  };
  const email = str('email');
  if (email !== undefined) {
    if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 255) throw badRequest('validation_failed', 'Unable to validate email address: invalid format');
    attrs.email = email;
  }
  const password = str('password');
  if (password !== undefined) {
    if (password.length < MIN_PASSWORD_LENGTH) throw new GoTrueError(422, 'weak_password', `Password should be at least ${MIN_PASSWORD_LENGTH} characters.`);
    if (password.length > MAX_PASSWORD_LENGTH) throw badRequest('validation_failed', `Password cannot be longer than ${MAX_PASSWORD_LENGTH} characters`);
    attrs.password = password;
  }
  const phone = str('phone');
  if (phone !== undefined) attrs.phone = phone;
  const role = str('role');
  if (role !== undefined) attrs.role = role;
  const id = str('id');
  if (id !== undefined) {
    if (!creating) throw badRequest('validation_failed', 'id cannot be changed');
    if (!UUID_RE.test(id)) throw badRequest('validation_failed', 'id must be a UUID');
    attrs.id = id.toLowerCase();
  }
  if (body.email_confirm !== undefined) {
    if (typeof body.email_confirm !== 'boolean') throw badRequest('validation_failed', 'email_confirm must be a boolean');
    attrs.emailConfirm = body.email_confirm;
  }
  const userMeta = obj('user_metadata') ?? obj('data');
  if (userMeta) attrs.userMetadata = userMeta;
  const appMeta = obj('app_metadata');
  if (appMeta) attrs.appMetadata = appMeta;
  const ban = str('ban_duration');
  if (ban !== undefined) attrs.banSeconds = parseBanDuration(ban);
  return attrs;
}

/** GoTrue's ban_duration: `none` or a Go duration like `24h`, `30m`, `1h30m`. */
function parseBanDuration(value: string): number {
  if (value === 'none') return 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s)/gy; // `ms` before `m`, or `30ms` would not parse
  let total = 0;
  let matched = 0;
  for (const m of value.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : n / 1000;
    matched += m[0].length;
  }
  if (matched !== value.length || value === '') throw badRequest('validation_failed', 'invalid format for ban duration');
  return total;
}

async function adminCreate(ctx: Ctx): Promise<void> {
  const attrs = attributes(await bodyObject(ctx), true);
  if (attrs.email === undefined && attrs.phone === undefined) {
    throw badRequest('validation_failed', 'Unable to validate email address: invalid format');
  }
  if (attrs.email !== undefined && (await findUserByEmail(ctx.sql, attrs.email))) {
    throw new GoTrueError(422, 'email_exists', 'A user with this email address has already been registered');
  }
  if (attrs.id !== undefined && (await findUserById(ctx.sql, attrs.id))) {
    throw new GoTrueError(422, 'user_already_exists', 'User already registered');
  }
  const row = await insertUser(ctx.sql, attrs, ctx.clock);
  reply(ctx, 200, toGoTrueUser(row));
}

const userNotFound = (): GoTrueError => new GoTrueError(404, 'user_not_found', 'User not found');

async function adminGet(ctx: Ctx, id: string): Promise<void> {
  const row = await findUserById(ctx.sql, id);
  if (!row) throw userNotFound();
  reply(ctx, 200, toGoTrueUser(row));
}

async function adminUpdate(ctx: Ctx, id: string): Promise<void> {
  if (!UUID_RE.test(id)) throw userNotFound();
  const attrs = attributes(await bodyObject(ctx), false);
  if (attrs.email !== undefined) {
    const other = await findUserByEmail(ctx.sql, attrs.email);
    if (other && other.id !== id.toLowerCase()) throw new GoTrueError(422, 'email_exists', 'A user with this email address has already been registered');
  }
  const row = await updateUser(ctx.sql, id, attrs, ctx.clock);
  if (!row) throw userNotFound();
  if (attrs.banSeconds !== undefined && attrs.banSeconds > 0) {
    await revokeAllSessionsForUser(ctx.sql, id, { clock: ctx.clock, reason: 'banned' });
  }
  reply(ctx, 200, toGoTrueUser(row));
}

async function adminDelete(ctx: Ctx, id: string): Promise<void> {
  await bodyObject(ctx); // should_soft_delete is accepted; deletion is always hard here
  const row = await deleteUser(ctx.sql, id);
  if (!row) throw userNotFound();
  reply(ctx, 200, toGoTrueUser(row));
}
