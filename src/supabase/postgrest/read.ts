import type { Queryable } from '../../db/sql.js';
import { headerValue } from '../http.js';
import type { TableInfo } from './catalog.js';
import { PgrstError } from './errors.js';
import { Params, TABLE_ALIAS, limitClause, orderClause, qualifiedTable, selectList, whereClause } from './build.js';
import { bodyHeaders, contentRange, singleObject, type Outcome, type Request } from './request.js';

/** GET / HEAD: a filtered, ordered page of rows as JSON built by Postgres, with Content-Range. */

const RANGE_RE = /^(?:items=)?(\d{1,9})-(\d{0,9})$/;

/** `Range: 0-9` (with `Range-Unit: items`) narrows limit/offset the way PostgREST does. */
function effectiveRange(r: Request): { limit?: number; offset: number } {
  let offset = r.query.offset ?? 0;
  let limit = r.query.limit;
  const header = headerValue(r.req, 'range');
  if (header !== undefined && r.method === 'GET') {
    const m = RANGE_RE.exec(header.trim());
    if (!m || (m[2] !== '' && Number(m[2]) < Number(m[1]))) {
      throw new PgrstError(416, 'PGRST103', 'Requested range not satisfiable', `invalid Range header: ${header}`);
    }
    const from = Number(m[1]);
    const to = m[2] === '' ? undefined : Number(m[2]);
    offset += from;
    if (to !== undefined) limit = limit === undefined ? to - from + 1 : Math.min(limit, to - from + 1);
  }
  return { ...(limit !== undefined ? { limit } : {}), offset };
}

async function countRows(tx: Queryable, table: TableInfo, r: Request): Promise<number> {
  const params = new Params();
  const where = whereClause(table, r.query.filters, params);
  const { rows } = await tx.query<{ n: unknown }>(
    `select count(*) as n from ${qualifiedTable(table)} as ${TABLE_ALIAS}${where}`,
    params.values,
  );
  return Number(rows[0]!.n);
}

export async function select(tx: Queryable, r: Request, table: TableInfo): Promise<Outcome> {
  const { limit, offset } = effectiveRange(r);
  const params = new Params();
  const cols = selectList(table, r.query.select, r.role);
  const where = whereClause(table, r.query.filters, params);
  const order = orderClause(table, r.query.order);
  const page = limitClause(params, limit, offset);
  const { rows } = await tx.query<{ body: string; n: unknown }>(
    `select coalesce(json_agg(_r), '[]'::json)::text as body, count(*) as n
       from (select ${cols} from ${qualifiedTable(table)} as ${TABLE_ALIAS}${where}${order}${page}) _r`,
    params.values,
  );
  const n = Number(rows[0]!.n);
  const total = r.prefer.count ? await countRows(tx, table, r) : undefined;
  const body = r.wantsObject ? singleObject(rows[0]!.body, n) : rows[0]!.body;
  return {
    status: 200,
    body,
    headers: { ...bodyHeaders(r), 'Content-Range': contentRange(offset, n, total) },
  };
}

/** Runs a mutation statement (written without RETURNING): rows affected, and their JSON when asked. */
