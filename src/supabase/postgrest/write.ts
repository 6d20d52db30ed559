import type { Queryable } from '../../db/sql.js';
import type { TableInfo } from './catalog.js';
import { PgrstError, parseError } from './errors.js';
import { Params, TABLE_ALIAS, qualifiedTable, selectList, starColumns, whereClause, writableColumn } from './build.js';
import { bodyHeaders, contentRange, singleObject, type Outcome, type Request } from './request.js';

/**
 * POST (insert / upsert), PATCH and DELETE. Bodies reach SQL as one JSON parameter expanded by
 * json_populate_record(set) against the table's own row type; columns come from the catalog.
 */

async function execMutation(
  tx: Queryable,
  r: Request,
  table: TableInfo,
  statement: string,
  params: Params,
): Promise<{ n: number; body?: string }> {
  if (r.prefer.return !== 'representation') return { n: (await tx.query(statement, params.values)).rowCount };
  const cols = selectList(table, r.query.select, r.role, '_m');
  const { rows } = await tx.query<{ body: string; n: unknown }>(
    `with _m as (${statement} returning ${starColumns(table, r.role)})
     select coalesce(json_agg(_r), '[]'::json)::text as body, count(*) as n from (select ${cols} from _m) _r`,
    params.values,
  );
  return { n: Number(rows[0]!.n), body: rows[0]!.body };
}

/** Shapes a mutation's result per `Prefer: return=` and the object media type. */
function mutationOutcome(r: Request, n: number, json: string | undefined, created: boolean): Outcome {
  // Throwing here rolls the transaction back: a single object was asked for and the count is not one.
  if (r.wantsObject && n !== 1) singleObject('[]', n);
  const range = contentRange(0, n, r.prefer.count ? n : undefined);
  if (json === undefined) return { status: created ? 201 : 204, headers: { 'Content-Range': range } };
  const body = r.wantsObject ? singleObject(json, n) : json;
  return { status: created ? 201 : 200, body, headers: { ...bodyHeaders(r), 'Content-Range': range } };
}

async function mutate(
  tx: Queryable,
  r: Request,
  table: TableInfo,
  statement: string,
  params: Params,
  created: boolean,
): Promise<Outcome> {
  const { n, body } = await execMutation(tx, r, table, statement, params);
  return mutationOutcome(r, n, body, created);
}

function jsonBody(r: Request): unknown {
  const body = r.body;
  if (body === undefined || body === null || typeof body !== 'object') {
    throw new PgrstError(400, 'PGRST102', 'Empty or invalid json');
  }
  return body;
}

function objectKeys(rows: Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const row of rows) for (const k of Object.keys(row)) keys.add(k);
  return [...keys];
}

export async function insert(tx: Queryable, r: Request, table: TableInfo): Promise<Outcome> {
  const body = jsonBody(r);
  const rows = (Array.isArray(body) ? body : [body]) as unknown[];
  if (rows.some((row) => row === null || typeof row !== 'object' || Array.isArray(row))) {
    throw new PgrstError(400, 'PGRST102', 'All elements of the JSON array must be objects');
  }
  const objects = rows as Record<string, unknown>[];
  if (r.query.filters.length > 0) throw parseError('filters are not allowed on insert');
  if (objects.length === 0) return mutateNothing(r);

  const names = r.query.columns ?? objectKeys(objects);
  const cols = names.map((c) => writableColumn(table, c));
  if (cols.length === 0) throw new PgrstError(400, 'PGRST102', 'Empty or invalid json', 'insert bodies need at least one column');

  let conflict = '';
  if (r.prefer.resolution) {
    const target = r.query.onConflict ?? table.primaryKey;
    if (target.length === 0) throw parseError(`on_conflict is required: ${table.name} has no primary key`);
    const targetCols = target.map((c) => writableColumn(table, c));
    const updates = cols.filter((c) => !targetCols.includes(c)).map((c) => `${c} = excluded.${c}`);
    conflict =
      r.prefer.resolution === 'ignore-duplicates' || updates.length === 0
        ? ` on conflict (${targetCols.join(', ')}) do nothing`
        : ` on conflict (${targetCols.join(', ')}) do update set ${updates.join(', ')}`;
  } else if (r.query.onConflict) {
    // supabase-js sends on_conflict with its upsert's Prefer; alone it means nothing.
    for (const c of r.query.onConflict) writableColumn(table, c);
  }

  const params = new Params();
  // missing=default: each row writes only its own keys, so absent ones take their defaults.
  if (r.prefer.missing === 'default' && objects.length > 1) {
    return insertEach(tx, r, table, objects, conflict);
  }
  const source = `json_populate_recordset(null::${qualifiedTable(table)}, ${params.add(JSON.stringify(objects))}::json)`;
  const statement = `insert into ${qualifiedTable(table)} as ${TABLE_ALIAS} (${cols.join(', ')})
    select ${cols.join(', ')} from ${source}${conflict}`;
  return mutate(tx, r, table, statement, params, true);
}

/** `Prefer: missing=default` for bulk bodies: each row writes only its own keys. */
async function insertEach(
  tx: Queryable,
  r: Request,
  table: TableInfo,
  objects: Record<string, unknown>[],
  conflict: string,
): Promise<Outcome> {
  const results: unknown[] = [];
  let n = 0;
  for (const obj of objects) {
    const cols = Object.keys(obj).map((c) => writableColumn(table, c));
    const params = new Params();
    const source = `json_populate_record(null::${qualifiedTable(table)}, ${params.add(JSON.stringify(obj))}::json)`;
    const statement =
      cols.length === 0
        ? `insert into ${qualifiedTable(table)} as ${TABLE_ALIAS} default values${conflict}`
        : `insert into ${qualifiedTable(table)} as ${TABLE_ALIAS} (${cols.join(', ')}) select ${cols.join(', ')} from ${source}${conflict}`;
    const one = await execMutation(tx, r, table, statement, params);
    n += one.n;
    if (one.body) results.push(...(JSON.parse(one.body) as unknown[]));
  }
  return mutationOutcome(r, n, r.prefer.return === 'representation' ? JSON.stringify(results) : undefined, true);
}

function mutateNothing(r: Request): Outcome {
  if (r.wantsObject) singleObject('[]', 0);
  if (r.prefer.return === 'representation') return { status: 201, body: '[]', headers: { ...bodyHeaders(r), 'Content-Range': '*/*' } };
  return { status: 201, headers: { 'Content-Range': '*/*' } };
}

function refuseLimits(r: Request): void {
  if (r.query.limit !== undefined || r.query.offset !== undefined || r.query.order.length > 0) {
    throw parseError(`limit, offset and order are not supported on ${r.method} by this emulator`);
  }
}

export async function update(tx: Queryable, r: Request, table: TableInfo): Promise<Outcome> {
  refuseLimits(r);
  const body = jsonBody(r);
  if (Array.isArray(body)) throw new PgrstError(400, 'PGRST102', 'PATCH expects a single JSON object');
  const obj = body as Record<string, unknown>;
  const cols = Object.keys(obj).map((c) => writableColumn(table, c));
  if (cols.length === 0) {
    if (r.wantsObject) singleObject('[]', 0);
    return r.prefer.return === 'representation'
      ? { status: 200, body: '[]', headers: { ...bodyHeaders(r), 'Content-Range': '*/*' } }
      : { status: 204, headers: { 'Content-Range': '*/*' } };
  }
  const params = new Params();
  const source = `json_populate_record(null::${qualifiedTable(table)}, ${params.add(JSON.stringify(obj))}::json)`;
  const sets = cols.map((c) => `${c} = _v.${c}`).join(', ');
  const where = whereClause(table, r.query.filters, params);
  const statement = `update ${qualifiedTable(table)} as ${TABLE_ALIAS} set ${sets} from ${source} as _v${where}`;
  return mutate(tx, r, table, statement, params, false);
}

export async function remove(tx: Queryable, r: Request, table: TableInfo): Promise<Outcome> {
  refuseLimits(r);
  const params = new Params();
  const where = whereClause(table, r.query.filters, params);
  const statement = `delete from ${qualifiedTable(table)} as ${TABLE_ALIAS}${where}`;
  return mutate(tx, r, table, statement, params, false);
}

