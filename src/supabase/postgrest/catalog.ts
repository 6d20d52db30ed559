import type { Queryable } from '../../db/sql.js';

/** The tables and views of schema `public` (PostgREST's schema cache, reduced to what we need). */

export interface TableInfo {
  name: string;
  columns: Map<string, { type: string }>;
  primaryKey: string[];
}

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
      t = { name: r.table_name, columns: new Map(), primaryKey: [] };
      catalog.set(r.table_name, t);
    }
    t.columns.set(r.column_name, { type: r.type });
    if (r.pk === true || (r.pk as unknown) === 't') t.primaryKey.push(r.column_name);
  }
  return catalog;
}

/** `"name"` with embedded quotes doubled. Only ever applied to names found in the catalog. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
