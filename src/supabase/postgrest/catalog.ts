import type { Queryable } from '../../db/sql.js';

/** The tables and views of schema `public` (PostgREST's schema cache, reduced to what we need). */

export interface TableInfo {
  name: string;
  columns: Map<string, { type: string }>;
  primaryKey: string[];
  /**
   * Per API role, the columns it may select when that is not all of them (column privileges,
   * such as athletes' Strava tokens): `*` expands to these. Absent role: every column.
   */
  readable: Map<string, string[]>;
}

/** The roles PostgREST switches to. */
const API_ROLES = ['anon', 'authenticated', 'service_role'];

export type Catalog = Map<string, TableInfo>;

export const EXPOSED_SCHEMA = 'public';

export async function loadCatalog(q: Queryable): Promise<Catalog> {
  const { rows } = await q.query<{ table_name: string; column_name: string; type: string; pk: boolean }>(
    `select c.relname as table_name, a.attname as column_name, format_type(a.atttypid, a.atttypmod) as type,
            exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary and a.attnum = any(i.indkey)) as pk
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid
      where n.nspname = $1 and c.relkind in ('r', 'v', 'm', 'p', 'f') and a.attnum > 0 and not a.attisdropped
      order by c.relname, a.attnum`,
    [EXPOSED_SCHEMA],
  );
  const catalog: Catalog = new Map();
  for (const r of rows) {
    let t = catalog.get(r.table_name);
    if (!t) {
      t = { name: r.table_name, columns: new Map(), primaryKey: [], readable: new Map() };
      catalog.set(r.table_name, t);
    }
    t.columns.set(r.column_name, { type: r.type });
    if (r.pk === true || (r.pk as unknown) === 't') t.primaryKey.push(r.column_name);
  }
  await loadColumnPrivileges(q, catalog);
  return catalog;
}

/** Which columns each API role may select, kept only for tables where that is not all of them. */
async function loadColumnPrivileges(q: Queryable, catalog: Catalog): Promise<void> {
  const { rows } = await q.query<{ table_name: string; role: string; cols: string[] | string | null }>(
    `select c.relname as table_name, r.rolname as role,
            array_agg(a.attname::text order by a.attnum) filter (where has_column_privilege(r.oid, c.oid, a.attnum, 'SELECT')) as cols
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid
       cross join pg_roles r
      where n.nspname = $1 and c.relkind in ('r', 'v', 'm', 'p', 'f') and a.attnum > 0 and not a.attisdropped
        and r.rolname = any($2::text[])
        and not has_table_privilege(r.oid, c.oid, 'SELECT')
      group by c.relname, r.rolname`,
    [EXPOSED_SCHEMA, API_ROLES],
  );
  for (const r of rows) {
    const table = catalog.get(r.table_name);
    const cols = r.cols === null ? [] : Array.isArray(r.cols) ? r.cols : String(r.cols).replace(/^\{|\}$/g, '').split(',').filter(Boolean);
    if (table && cols.length > 0) table.readable.set(r.role, cols);
  }
}

/** `"name"` with embedded quotes doubled. Only ever applied to names found in the catalog. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
