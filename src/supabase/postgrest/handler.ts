import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../clock.js';
import type { Queryable, Sql } from '../../db/sql.js';
import { verifyAccessToken, type AccessClaims, type Role } from '../../auth/jwt.js';
import { isVeloError } from '../../errors.js';
import { isProjectKey } from '../keys.js';
import { BodyError, bearerToken, corsHeaders, handlePreflight, headerValue, readJson } from '../http.js';
import { EXPOSED_SCHEMA, loadCatalog, type Catalog, type TableInfo } from './catalog.js';
import { PgrstError, fromDatabaseError, parseError } from './errors.js';
import { parsePrefer } from './prefer.js';
import { parseQuery } from './parse.js';
import { resolveTable } from './build.js';
import { select } from './read.js';
import { insert, remove, update } from './write.js';
import { JSON_TYPE, OBJECT_MEDIA_TYPE, type Outcome, type Request } from './request.js';
import { asRole } from '../../db/rls.js';

/**
 * The PostgREST subset under `/rest/v1/<table>` that supabase-js's query builder produces. Each
 * request runs in one transaction as the JWT's role with PostgREST's claims, so RLS decides.
 */

export const REST_PREFIX = '/rest/v1';
export { OBJECT_MEDIA_TYPE };
/** Errors that a stale schema cache could cause; answered again after one reload. */
const SCHEMA_MISS_CODES = new Set(['42703', 'PGRST204']);
export const CATALOG_RELOAD_MIN_INTERVAL_MS = 1000;

export interface RestHandlerOptions {
  sql: Sql;
  secret: string;
  clock: Clock;
  /** Tokens of revoked sessions are refused, as on the functions (unset: sessions are not checked). */
  isSessionRevoked?: (sessionId: string) => boolean | Promise<boolean>;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export function createRestHandler(opts: RestHandlerOptions): NodeHandler {
  let catalog: Catalog | undefined;
  let loadedAt = -Infinity;
  const reload = async (q: Queryable): Promise<Catalog> => {
    loadedAt = opts.clock.now();
    catalog = await loadCatalog(q);
    return catalog;
  };
  const stale = (): boolean => opts.clock.now() - loadedAt >= CATALOG_RELOAD_MIN_INTERVAL_MS;
  const tableFor = async (q: Queryable, name: string): Promise<TableInfo> => {
    // An unknown table reloads the cache (at most once a second), like PostgREST's schema reload.
    const current = catalog && (catalog.has(name) || !stale()) ? catalog : await reload(q);
    return resolveTable(current, name);
  };

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== REST_PREFIX && !url.pathname.startsWith(`${REST_PREFIX}/`)) return false;
    if (handlePreflight(req, res)) return true;
    let authenticated = false;
    try {
      const { role, claims } = authenticate(req, opts);
      if (typeof claims.session_id === 'string' && opts.isSessionRevoked) {
        const revoked = opts.isSessionRevoked(claims.session_id);
        if (revoked === true || (revoked !== false && (await revoked))) {
          throw new PgrstError(401, 'PGRST301', 'JWT invalid: the session was signed out (revoked)', null, 'sign in again');
        }
      }
      authenticated = role !== 'anon';
      const r = prepare(req, res, url, role, claims);
      // Read the body before the transaction: a slow client must never hold the database.
      if (r.method === 'POST' || r.method === 'PATCH') r.body = await readJson(req);
      const attempt = (fresh: boolean): Promise<Outcome> =>
        opts.sql.transaction(async (tx) => {
          if (fresh) await reload(tx);
          const table = await tableFor(tx, r.tableName);
          await asRole(tx, role, claims);
          return run(tx, r, table);
        });
      let outcome: Outcome;
      try {
        outcome = await attempt(false);
      } catch (err) {
        // An unknown column may be a migration applied while we run: reload the schema once.
        if (!(err instanceof PgrstError) || !SCHEMA_MISS_CODES.has(err.code) || !stale()) throw err;
        outcome = await attempt(true);
      }
      send(res, outcome, r.method === 'HEAD');
    } catch (err) {
      const e = toPgrstError(err, authenticated);
      send(res, { status: e.status, body: JSON.stringify(e.toBody()), headers: { 'Content-Type': JSON_TYPE } }, false);
    }
    return true;
  };
}

function send(res: ServerResponse, o: Outcome, head: boolean): void {
  const body = o.body ?? '';
  res.writeHead(o.status, { ...corsHeaders(), ...o.headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(head ? undefined : body);
}

function toPgrstError(err: unknown, authenticated: boolean): PgrstError {
  if (err instanceof PgrstError) return err;
  if (err instanceof BodyError) {
    return new PgrstError(err.status, err.status === 413 ? 'PGRST413' : 'PGRST102', err.message);
  }
  return (
    fromDatabaseError(err, authenticated) ??
    new PgrstError(500, 'PGRST000', 'unexpected error in the REST emulator', isVeloError(err) ? err.message : null)
  );
}

/** The role and claims of a request: the Bearer JWT, else the apikey, both verified. */
function authenticate(req: IncomingMessage, opts: RestHandlerOptions): { role: Role; claims: AccessClaims } {
  const apikey = headerValue(req, 'apikey');
  const bearer = bearerToken(req);
  const token = bearer ?? apikey;
  if (!token) throw new PgrstError(401, 'PGRST301', 'No API key found in request', null, 'Send the anon key in the apikey header');
  const verify = (t: string): AccessClaims => {
    try {
      return verifyAccessToken(t, { secret: opts.secret, clock: opts.clock });
    } catch (err) {
      const code = isVeloError(err) && err.code === 'JWT_EXPIRED' ? 'PGRST303' : 'PGRST301';
      throw new PgrstError(401, code, isVeloError(err) ? `JWT invalid: ${err.message}` : 'JWT invalid');
    }
  };
  const claims = verify(token);
  if (apikey !== undefined && !isProjectKey(apikey, opts.secret, opts.clock)) {
    throw new PgrstError(401, 'PGRST301', 'Invalid API key', null, 'Send the anon or service_role key in the apikey header');
  }
  return { role: claims.role, claims };
}

function prepare(req: IncomingMessage, res: ServerResponse, url: URL, role: Role, claims: AccessClaims): Request {
  const method = req.method ?? 'GET';
  const rest = url.pathname.slice(REST_PREFIX.length).replace(/^\/+/, '').replace(/\/+$/, '');
  if (rest === '' || rest.includes('/')) {
    if (rest.startsWith('rpc/')) throw new PgrstError(404, 'PGRST202', 'Functions (rpc) are not supported by this emulator');
    throw new PgrstError(404, 'PGRST125', `Invalid path specified in request URL: ${url.pathname}`);
  }
  let tableName: string;
  try {
    tableName = decodeURIComponent(rest);
  } catch {
    throw parseError('the table name in the URL is not valid percent-encoding');
  }
  for (const h of ['accept-profile', 'content-profile']) {
    const profile = headerValue(req, h);
    if (profile !== undefined && profile !== EXPOSED_SCHEMA) {
      throw new PgrstError(406, 'PGRST106', 'The schema must be one of the following: public', null, null);
    }
  }
  const accept = headerValue(req, 'accept') ?? '';
  if (/text\/csv|geo\+json|vnd\.pgrst\.plan/.test(accept)) {
    throw new PgrstError(406, 'PGRST107', `None of these media types are available: ${accept}`);
  }
  return {
    req,
    res,
    method,
    path: url.pathname,
    tableName,
    query: parseQuery(url.searchParams),
    prefer: parsePrefer(req.headers.prefer),
    wantsObject: accept.includes(OBJECT_MEDIA_TYPE),
    role,
    claims,
  };
}

async function run(tx: Queryable, r: Request, table: TableInfo): Promise<Outcome> {
  switch (r.method) {
    case 'GET':
    case 'HEAD':
      return select(tx, r, table);
    case 'POST':
      return insert(tx, r, table);
    case 'PATCH':
      return update(tx, r, table);
    case 'DELETE':
      return remove(tx, r, table);
    default:
      throw new PgrstError(405, 'PGRST117', `Unsupported HTTP method: ${r.method}`);
  }
}

