import type { Queryable } from './sql.js';

/** Quotes an identifier read from the catalog (never from user input). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export interface ColumnInfo {
  name: string;
  /** format_type(): usable in a cast. */
  type: string;
  typtype: string;
  notNull: boolean;
  hasDefault: boolean;
  /** A serial/identity column: filled explicitly so no sequence advances. */
  sequenced: boolean;
  generated: boolean;
  enumFirst: string | null;
  checkLiteral: string | null;
  /** Referenced `schema.table` and column of a single-column foreign key. */
  references: { table: string; column: string } | null;
}

export interface TableInfo {
  name: string;
  /** `"public"."name"` */
  qualified: string;
  rlsEnabled: boolean;
  columns: ColumnInfo[];
  primaryKey: string[];
}

export interface PolicyInfo {
  table: string;
  name: string;
  cmd: string;
  roles: string[];
  qual: string | null;
  withCheck: string | null;
}

export async function publicTables(q: Queryable): Promise<TableInfo[]> {
  const { rows: tables } = await q.query<{ oid: number; name: string; rls: boolean }>(
    `select c.oid::int as oid, c.relname as name, c.relrowsecurity as rls
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
      order by c.relname`,
  );
  const result: TableInfo[] = [];
  for (const t of tables) {
    const { rows: cols } = await q.query<{
      name: string; type: string; typtype: string; notnull: boolean; hasdef: boolean; sequenced: boolean;
      generated: boolean; enum_first: string | null; check_def: string | null; ref_table: string | null; ref_column: string | null;
    }>(
      `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, ty.typtype::text as typtype,
              a.attnotnull as notnull, a.atthasdef as hasdef,
              (a.attidentity <> '' or coalesce(pg_get_expr(d.adbin, d.adrelid) like 'nextval(%', false)) as sequenced,
              a.attgenerated <> '' as generated,
              (select e.enumlabel from pg_enum e where e.enumtypid = a.atttypid order by e.enumsortorder limit 1) as enum_first,
              (select pg_get_constraintdef(k.oid) from pg_constraint k
                 where k.conrelid = a.attrelid and k.contype = 'c' and k.conkey = array[a.attnum]::int2[] limit 1) as check_def,
              (select rn.nspname || '.' || rc.relname from pg_constraint k
                 join pg_class rc on rc.oid = k.confrelid join pg_namespace rn on rn.oid = rc.relnamespace
                where k.conrelid = a.attrelid and k.contype = 'f' and k.conkey = array[a.attnum]::int2[] limit 1) as ref_table,
              (select ra.attname from pg_constraint k
                 join pg_attribute ra on ra.attrelid = k.confrelid and ra.attnum = k.confkey[1]
                where k.conrelid = a.attrelid and k.contype = 'f' and k.conkey = array[a.attnum]::int2[] limit 1) as ref_column
         from pg_attribute a
         join pg_type ty on ty.oid = a.atttypid
         left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
        order by a.attnum`,
      [t.oid],
    );
    const { rows: pk } = await q.query<{ name: string }>(
      `select a.attname as name from pg_constraint k
         join lateral unnest(k.conkey) with ordinality as u(attnum, ord) on true
         join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum
        where k.conrelid = $1 and k.contype = 'p' order by u.ord`,
      [t.oid],
    );
    result.push({
      name: t.name,
      qualified: `${quoteIdent('public')}.${quoteIdent(t.name)}`,
      rlsEnabled: t.rls,
      primaryKey: pk.map((p) => p.name),
      columns: cols.map((c) => ({
        name: c.name,
        type: c.type,
        typtype: c.typtype,
        notNull: c.notnull,
        hasDefault: c.hasdef,
        sequenced: c.sequenced,
        generated: c.generated,
        enumFirst: c.enum_first,
        checkLiteral: c.check_def ? (/'((?:[^']|'')*)'/.exec(c.check_def)?.[1]?.replace(/''/g, "'") ?? null) : null,
        references: c.ref_table && c.ref_column ? { table: c.ref_table, column: c.ref_column } : null,
      })),
    });
  }
  return result;
}

export async function publicPolicies(q: Queryable): Promise<PolicyInfo[]> {
  const { rows } = await q.query<{ table: string; name: string; cmd: string; roles: string[] | string; qual: string | null; with_check: string | null }>(
    `select tablename as "table", policyname as name, cmd, roles::text[] as roles, qual, with_check
       from pg_policies where schemaname = 'public' order by tablename, policyname`,
  );
  return rows.map((r) => ({
    table: r.table,
    name: r.name,
    cmd: r.cmd,
    roles: Array.isArray(r.roles) ? r.roles : String(r.roles).replace(/[{}]/g, '').split(','),
    qual: r.qual,
    withCheck: r.with_check,
  }));
}
