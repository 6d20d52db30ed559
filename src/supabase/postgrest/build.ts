import type { Catalog, TableInfo } from './catalog.js';
import { EXPOSED_SCHEMA, quoteIdent } from './catalog.js';
import { PgrstError } from './errors.js';
import type { Filter, OrderTerm, SelectItem } from './parse.js';

/**
 * SQL text from a parsed request. Every identifier is looked up in the catalog first (unknown →
 * PostgREST's error) and then quoted; every value becomes a bound parameter.
 */

export const TABLE_ALIAS = '_t';

export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export function resolveTable(catalog: Catalog, name: string): TableInfo {
  const table = catalog.get(name);
  if (!table) {
    throw new PgrstError(
      404,
      'PGRST205',
      `Could not find the table '${EXPOSED_SCHEMA}.${name}' in the schema cache`,
      null,
      null,
    );
  }
  return table;
}

export function column(table: TableInfo, name: string, alias = TABLE_ALIAS): string {
  if (!table.columns.has(name)) {
    throw new PgrstError(400, '42703', `column ${table.name}.${name} does not exist`, null, null);
  }
  return `${alias}.${quoteIdent(name)}`;
}

/** Columns a body writes: they must exist (PostgREST's PGRST204 otherwise). */
export function writableColumn(table: TableInfo, name: string): string {
  if (!table.columns.has(name)) {
    throw new PgrstError(400, 'PGRST204', `Could not find the '${name}' column of '${table.name}' in the schema cache`);
  }
  return quoteIdent(name);
}

export const qualifiedTable = (table: TableInfo): string => `${quoteIdent(EXPOSED_SCHEMA)}.${quoteIdent(table.name)}`;

/**
 * What `*` means for `role`: every column, or only those it may select where column privileges
 * narrow it (PostgREST itself answers 42501 there; the emulator lists the readable ones).
 */
export function starColumns(table: TableInfo, role: string, alias = TABLE_ALIAS): string {
  const cols = table.readable.get(role);
  return cols ? cols.map((c) => `${alias}.${quoteIdent(c)}`).join(', ') : `${alias}.*`;
}

export function selectList(table: TableInfo, items: SelectItem[], role: string, alias = TABLE_ALIAS): string {
  return items
    .map((item) => {
      if (item.column === '*') return starColumns(table, role, alias);
      const col = column(table, item.column, alias);
      return `${col} as ${quoteIdent(item.alias ?? item.column)}`;
    })
    .join(', ');
}

const COMPARISON = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

function filterSql(table: TableInfo, f: Filter, params: Params): string {
  const col = column(table, f.column);
  let expr: string;
  switch (f.op) {
    case 'in':
      expr = f.values.length === 0 ? 'false' : `${col} in (${f.values.map((v) => params.add(v)).join(', ')})`;
      break;
    case 'is':
      expr = `${col} is ${f.value === 'not_null' ? 'not null' : f.value}`;
      break;
    case 'like':
    case 'ilike':
      // PostgREST's `*` wildcard is SQL's `%`.
      expr = `${col}::text ${f.op} ${params.add(f.value.replace(/\*/g, '%'))}`;
      break;
    default:
      expr = `${col} ${COMPARISON[f.op]} ${params.add(f.value)}`;
  }
  return f.negate ? `not (${expr})` : expr;
}

export function whereClause(table: TableInfo, filters: Filter[], params: Params): string {
  if (filters.length === 0) return '';
  return ` where ${filters.map((f) => filterSql(table, f, params)).join(' and ')}`;
}

export function orderClause(table: TableInfo, order: OrderTerm[]): string {
  if (order.length === 0) return '';
  const terms = order.map(
    (o) => `${column(table, o.column)} ${o.descending ? 'desc' : 'asc'}${o.nulls ? ` nulls ${o.nulls}` : ''}`,
  );
  return ` order by ${terms.join(', ')}`;
}

export function limitClause(params: Params, limit: number | undefined, offset: number | undefined): string {
  return (limit !== undefined ? ` limit ${params.add(limit)}` : '') + (offset ? ` offset ${params.add(offset)}` : '');
}
