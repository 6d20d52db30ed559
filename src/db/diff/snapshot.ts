import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Queryable } from '../sql.js';

/** Changes whenever this module does: a cached snapshot is only valid for the code that took it. */
export function snapshotCodeKey(): string {
  return readFileSync(fileURLToPath(import.meta.url), 'utf8');
}

/**
 * Schemas `db diff` never compares: Postgres' own, Supabase's own (they differ between a real
 * project and the local shim by design), and veloready's migration history.
 */
export const EXCLUDED_SCHEMAS = [
  'information_schema', 'auth', 'storage', 'realtime', 'extensions', 'pgbouncer', 'vault', 'net',
  'pgsodium', 'pgsodium_masks', 'cron', 'pgtle', 'graphql', 'graphql_public', 'veloready', 'supabase_functions',
  'supabase_migrations', '_realtime', '_analytics', '_supavisor',
];
/** LIKE patterns of excluded schemas (`_` escaped). */
const EXCLUDED_PATTERNS = ['pg\\_%', 'supabase\\_%', 'graphql%'];

/**
 * The roles whose grants on tables are compared: what Supabase's API acts as. (MAINTAIN, new in
 * Postgres 17 and part of `all` there, is left out: PGlite is 17, Supabase projects 15 or 17.)
 */
export const API_ROLES = ['anon', 'authenticated', 'service_role'];

export interface ColumnSnapshot {
  type: string;
  notNull: boolean;
  default: string | null;
  /** '' | 'a' (always) | 'd' (by default) */
  identity: string;
  /** '' | 's' (stored) */
  generated: string;
}

export interface PolicySnapshot {
  command: string;
  permissive: string;
  roles: string[];
  using: string | null;
  withCheck: string | null;
}

export interface TableSnapshot {
  /** `schema.name` */
  key: string;
  schema: string;
  name: string;
  rls: { enabled: boolean; forced: boolean };
  columns: Record<string, ColumnSnapshot>;
  /** By name: pg_get_constraintdef(), prefixed with its kind. */
  constraints: Record<string, string>;
  /** Indexes that back no constraint, by name: pg_get_indexdef(). */
  indexes: Record<string, string>;
  policies: Record<string, PolicySnapshot>;
  triggers: Record<string, string>;
  /** API role → sorted table privileges. */
  grants: Record<string, string[]>;
  /** `role column` → sorted column privileges. */
  columnGrants: Record<string, string[]>;
}

export interface FunctionSnapshot {
  /** `schema.name(identity arguments)` */
  signature: string;
  returns: string;
  language: string;
  securityDefiner: boolean;
  volatility: string;
  /** md5 of the body: a body edited in place shows as changed. */
  bodyMd5: string;
}

export interface SchemaSnapshot {
  tables: Record<string, TableSnapshot>;
  /** `schema.name` → pg_get_viewdef() */
  views: Record<string, string>;
  /** `schema.name` → labels in order */
  enums: Record<string, string[]>;
  functions: Record<string, FunctionSnapshot>;
}

const NS = `(select n.oid from pg_namespace n
  where n.nspname <> all($1::text[]) and not (n.nspname like any($2::text[])) and n.nspname <> 'pg_catalog')`;
const NOT_EXTENSION = (oid: string) => `not exists (select 1 from pg_depend dep where dep.objid = ${oid} and dep.deptype = 'e')`;

function emptyTable(schema: string, name: string, enabled: boolean, forced: boolean): TableSnapshot {
  return {
    key: `${schema}.${name}`, schema, name, rls: { enabled, forced },
    columns: {}, constraints: {}, indexes: {}, policies: {}, triggers: {}, grants: {}, columnGrants: {},
  };
}

/** Set-based catalog queries, one per kind of object; $1, $2: excluded schemas and patterns, $3: the API roles. */
const CATALOG_QUERIES = {
  rels: `select n.nspname as schema, c.relname as name, c.relkind::text as kind, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
            case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end as view
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relnamespace in ${NS} and c.relkind in ('r', 'p', 'v', 'm') and not c.relispartition and ${NOT_EXTENSION('c.oid')}`,
  cols: `select n.nspname as schema, c.relname as table, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
            a.attnotnull as notnull, pg_get_expr(d.adbin, d.adrelid) as def, a.attidentity::text as identity, a.attgenerated::text as generated,
            a.attnum as position
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
       left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where c.relnamespace in ${NS} and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped`,
  cons: `select n.nspname as schema, c.relname as table, k.conname as name, k.contype::text as kind, pg_get_constraintdef(k.oid) as def
       from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
      where c.relnamespace in ${NS} and k.contype in ('p', 'u', 'f', 'c', 'x')`,
  idx: `select n.nspname as schema, c.relname as table, ic.relname as name, pg_get_indexdef(i.indexrelid) as def
       from pg_index i join pg_class c on c.oid = i.indrelid join pg_class ic on ic.oid = i.indexrelid
       join pg_namespace n on n.oid = c.relnamespace
      where c.relnamespace in ${NS}
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid and k.contype in ('p', 'u', 'x'))`,
  pols: `select schemaname as schema, tablename as table, policyname as name, permissive, roles, cmd, qual, with_check
       from pg_policies p join pg_namespace n on n.nspname = p.schemaname where n.oid in ${NS}`,
  trg: `select n.nspname as schema, c.relname as table, t.tgname as name, pg_get_triggerdef(t.oid) as def
       from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where c.relnamespace in ${NS} and not t.tgisinternal`,
  grants: `select n.nspname as schema, c.relname as table, r.rolname as role, array_agg(distinct a.privilege_type::text) as privileges
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       cross join lateral aclexplode(c.relacl) a join pg_roles r on r.oid = a.grantee
      where c.relnamespace in ${NS} and c.relkind in ('r', 'p') and r.rolname = any($3::text[]) and a.privilege_type <> 'MAINTAIN'
      group by 1, 2, 3`,
  colGrants: `select n.nspname as schema, c.relname as table, att.attname as column, r.rolname as role,
            array_agg(distinct a.privilege_type::text) as privileges
       from pg_attribute att join pg_class c on c.oid = att.attrelid join pg_namespace n on n.oid = c.relnamespace
       cross join lateral aclexplode(att.attacl) a join pg_roles r on r.oid = a.grantee
      where c.relnamespace in ${NS} and c.relkind in ('r', 'p') and att.attacl is not null and r.rolname = any($3::text[]) and a.privilege_type <> 'MAINTAIN'
      group by 1, 2, 3, 4`,
  enums: `select n.nspname as schema, t.typname as name, json_agg(e.enumlabel order by e.enumsortorder) as labels
       from pg_type t join pg_namespace n on n.oid = t.typnamespace join pg_enum e on e.enumtypid = t.oid
      where t.typnamespace in ${NS} and ${NOT_EXTENSION('t.oid')}
      group by 1, 2`,
  fns: `select n.nspname as schema, p.proname as name, pg_get_function_identity_arguments(p.oid) as args,
            pg_get_function_result(p.oid) as returns, l.lanname as language, p.prosecdef as secdef,
            p.provolatile::text as volatility, md5(coalesce(p.prosrc, '')) as body
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
      where p.pronamespace in ${NS} and ${NOT_EXTENSION('p.oid')}`,
};

/** Every catalog query's rows as one JSON document: one round trip (a remote database is ~10× fewer waits). */
const CATALOG_SQL = `select json_build_object(${Object.entries(CATALOG_QUERIES)
  .map(([name, text]) => `'${name}', (select coalesce(json_agg(x), '[]'::json) from (${text}) x)`)
  .join(',\n  ')}) as catalog`;

interface CatalogRows {
  rels: Array<{ schema: string; name: string; kind: string; rls: boolean; forced: boolean; view: string | null }>;
  cols: Array<{ schema: string; table: string; name: string; type: string; notnull: boolean; def: string | null; identity: string; generated: string; position: number }>;
  cons: Array<{ schema: string; table: string; name: string; kind: string; def: string }>;
  idx: Array<{ schema: string; table: string; name: string; def: string }>;
  pols: Array<{ schema: string; table: string; name: string; permissive: string; roles: string[]; cmd: string; qual: string | null; with_check: string | null }>;
  trg: Array<{ schema: string; table: string; name: string; def: string }>;
  grants: Array<{ schema: string; table: string; role: string; privileges: string[] }>;
  colGrants: Array<{ schema: string; table: string; column: string; role: string; privileges: string[] }>;
  enums: Array<{ schema: string; name: string; labels: string[] }>;
  fns: Array<{ schema: string; name: string; args: string; returns: string | null; language: string; secdef: boolean; volatility: string; body: string }>;
}

/** Everything `db diff` compares, read from the catalog in one statement of set-based queries. */
export async function snapshotSchema(q: Queryable): Promise<SchemaSnapshot> {
  const { rows } = await q.query<{ catalog: CatalogRows | string }>(CATALOG_SQL, [EXCLUDED_SCHEMAS, EXCLUDED_PATTERNS, API_ROLES]);
  const raw = rows[0]!.catalog;
  const c = typeof raw === 'string' ? (JSON.parse(raw) as CatalogRows) : raw;
  const snap: SchemaSnapshot = { tables: {}, views: {}, enums: {}, functions: {} };

  for (const r of c.rels) {
    if (r.kind === 'v' || r.kind === 'm') snap.views[`${r.schema}.${r.name}`] = (r.view ?? '').trim();
    else snap.tables[`${r.schema}.${r.name}`] = emptyTable(r.schema, r.name, r.rls, r.forced);
  }
  const table = (schema: string, name: string): TableSnapshot | undefined => snap.tables[`${schema}.${name}`];

  for (const col of [...c.cols].sort((a, b) => a.position - b.position)) {
    const t = table(col.schema, col.table);
    if (t) t.columns[col.name] = { type: col.type, notNull: col.notnull, default: col.def, identity: col.identity, generated: col.generated };
  }
  for (const k of c.cons) {
    const t = table(k.schema, k.table);
    if (t) t.constraints[k.name] = k.def;
  }
  for (const i of c.idx) {
    const t = table(i.schema, i.table);
    if (t) t.indexes[i.name] = i.def;
  }
  for (const p of c.pols) {
    const t = table(p.schema, p.table);
    if (t) t.policies[p.name] = { command: p.cmd, permissive: p.permissive, roles: [...p.roles].sort(), using: p.qual, withCheck: p.with_check };
  }
  for (const tr of c.trg) {
    const t = table(tr.schema, tr.table);
    if (t) t.triggers[tr.name] = tr.def;
  }
  for (const g of c.grants) {
    const t = table(g.schema, g.table);
    if (t) t.grants[g.role] = [...g.privileges].sort();
  }
  for (const g of c.colGrants) {
    const t = table(g.schema, g.table);
    if (t) t.columnGrants[`${g.role} ${g.column}`] = [...g.privileges].sort();
  }
  for (const e of c.enums) snap.enums[`${e.schema}.${e.name}`] = e.labels;
  for (const f of c.fns) {
    const signature = `${f.schema}.${f.name}(${f.args})`;
    snap.functions[signature] = {
      signature, returns: f.returns ?? '', language: f.language, securityDefiner: f.secdef, volatility: f.volatility, bodyMd5: f.body,
    };
  }
  return snap;
}
