import {
  addColumnSql, alterColumnSql, createIndexSql, createPolicySql, dropIndexSql, dropPolicySql, grantSql, rlsSql,
} from './fix-sql.js';
import type { ColumnSnapshot, FunctionSnapshot, PolicySnapshot, SchemaSnapshot, TableSnapshot } from './snapshot.js';

/** missing: the migrations create it, the database lacks it; extra: the reverse; changed: both, unlike. */
export type DifferenceKind = 'missing' | 'extra' | 'changed';
export type ObjectKind =
  | 'table' | 'column' | 'constraint' | 'index' | 'policy' | 'rls' | 'trigger' | 'grant' | 'column grant' | 'view' | 'enum' | 'function';

export interface SchemaDifference {
  /** The table it belongs to (`public.activities`); views, enums and functions: their schema. */
  table: string;
  kind: DifferenceKind;
  object: ObjectKind;
  name: string;
  /** As the migrations create it. */
  expected?: string;
  /** As the database has it. */
  found?: string;
  /** SQL that makes the migrations create what the database has, when that is mechanical. */
  fix?: string;
}

/** One line naming a difference, stable for tests and scripts: `public.activities: extra index idx_x`. */
export function differenceId(d: Pick<SchemaDifference, 'table' | 'kind' | 'object' | 'name'>): string {
  return `${d.table}: ${d.kind} ${d.object} ${d.name}`;
}

export function describeColumn(c: ColumnSnapshot): string {
  return [
    c.type,
    c.notNull ? 'not null' : 'null',
    c.default !== null ? `default ${c.default}` : '',
    c.identity ? `identity ${c.identity === 'a' ? 'always' : 'by default'}` : '',
    c.generated ? 'generated' : '',
  ].filter(Boolean).join(' ');
}

/** Deparsed SQL on one line (pg_get_expr breaks subqueries over lines). */
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

export function describePolicy(p: PolicySnapshot): string {
  return oneLine([
    p.permissive === 'PERMISSIVE' ? '' : p.permissive.toLowerCase(),
    `for ${p.command.toLowerCase()}`,
    `to ${p.roles.join(', ')}`,
    p.using !== null ? `using (${p.using})` : '',
    p.withCheck !== null ? `with check (${p.withCheck})` : '',
  ].filter(Boolean).join(' '));
}

const describeRls = (r: TableSnapshot['rls']): string => (r.enabled ? 'enabled' : 'disabled') + (r.forced ? ', forced' : '');
const VOLATILITY: Record<string, string> = { i: 'immutable', s: 'stable', v: 'volatile' };
const describeFunction = (f: FunctionSnapshot): string =>
  `returns ${f.returns}, ${f.language}, ${VOLATILITY[f.volatility] ?? f.volatility}${f.securityDefiner ? ', security definer' : ''}, body md5 ${f.bodyMd5.slice(0, 8)}`;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const keys = (a: object, b: object): string[] => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();

/** Differences of one kind of keyed object, with optional fixes. */
function compareMap<T>(
  out: SchemaDifference[],
  table: string,
  object: ObjectKind,
  expected: Record<string, T>,
  found: Record<string, T>,
  describe: (v: T) => string,
  fix: { add?: (name: string, v: T) => string | undefined; drop?: (name: string, v: T) => string | undefined; change?: (name: string, e: T, f: T) => string | undefined } = {},
): void {
  for (const name of keys(expected, found)) {
    const e = expected[name];
    const f = found[name];
    let d: SchemaDifference | undefined;
    if (e !== undefined && f === undefined) d = { table, kind: 'missing', object, name, expected: describe(e), fix: fix.drop?.(name, e) };
    else if (e === undefined && f !== undefined) d = { table, kind: 'extra', object, name, found: describe(f), fix: fix.add?.(name, f) };
    else if (e !== undefined && f !== undefined && !same(e, f)) d = { table, kind: 'changed', object, name, expected: describe(e), found: describe(f), fix: fix.change?.(name, e, f) };
    if (d) {
      if (!d.fix) delete d.fix;
      out.push(d);
    }
  }
}

function compareTable(out: SchemaDifference[], e: TableSnapshot, f: TableSnapshot): void {
  const t = e.key;
  compareMap(out, t, 'column', e.columns, f.columns, describeColumn, {
    add: (name, c) => addColumnSql(f, name, c),
    change: (name, ec, fc) => alterColumnSql(f, name, ec, fc) || undefined,
  });
  compareMap(out, t, 'constraint', e.constraints, f.constraints, (d) => d);
  compareMap(out, t, 'index', e.indexes, f.indexes, (d) => d, {
    add: (_name, def) => createIndexSql(def),
    drop: (name) => dropIndexSql(f, name),
    change: (name, _e, def) => `${dropIndexSql(f, name)}\n${createIndexSql(def)}`,
  });
  if (!same(e.rls, f.rls)) {
    out.push({ table: t, kind: 'changed', object: 'rls', name: 'row level security', expected: describeRls(e.rls), found: describeRls(f.rls), fix: rlsSql(f, f.rls, e.rls) });
  }
  compareMap(out, t, 'policy', e.policies, f.policies, describePolicy, {
    add: (name, p) => createPolicySql(f, name, p),
    drop: (name) => dropPolicySql(f, name),
    change: (name, _e, p) => createPolicySql(f, name, p),
  });
  compareMap(out, t, 'trigger', e.triggers, f.triggers, (d) => d);
  const privileges = (p: string[]) => p.join(', ').toLowerCase();
  compareMap(out, t, 'grant', e.grants, f.grants, privileges, {
    add: (role, p) => grantSql(f, role, [], p),
    drop: (role, p) => grantSql(f, role, p, []),
    change: (role, ep, fp) => grantSql(f, role, ep, fp),
  });
  // Column grants are keyed `role column`.
  const split = (key: string): [string, string] => [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)];
  compareMap(out, t, 'column grant', e.columnGrants, f.columnGrants, privileges, {
    add: (key, p) => grantSql(f, split(key)[0], [], p, split(key)[1]),
    drop: (key, p) => grantSql(f, split(key)[0], p, [], split(key)[1]),
    change: (key, ep, fp) => grantSql(f, split(key)[0], ep, fp, split(key)[1]),
  });
}

const schemaOf = (key: string): string => key.slice(0, key.indexOf('.'));
const nameOf = (key: string): string => key.slice(key.indexOf('.') + 1);

/** Every difference between what the migrations create (`expected`) and a database (`found`). */
export function compareSnapshots(expected: SchemaSnapshot, found: SchemaSnapshot): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  for (const key of keys(expected.tables, found.tables)) {
    const e = expected.tables[key];
    const f = found.tables[key];
    if (e && f) compareTable(out, e, f);
    else if (e) out.push({ table: key, kind: 'missing', object: 'table', name: e.name, expected: `${Object.keys(e.columns).length} columns` });
    else if (f) out.push({ table: key, kind: 'extra', object: 'table', name: f.name, found: `${Object.keys(f.columns).length} columns` });
  }
  const bySchema = <T>(object: ObjectKind, e: Record<string, T>, f: Record<string, T>, describe: (v: T) => string) => {
    const before = out.length;
    compareMap(out, '', object, e, f, describe);
    for (const d of out.slice(before)) {
      d.table = schemaOf(d.name);
      d.name = nameOf(d.name);
    }
  };
  bySchema('view', expected.views, found.views, oneLine);
  bySchema('enum', expected.enums, found.enums, (l) => l.join(', '));
  bySchema('function', expected.functions, found.functions, describeFunction);
  return out;
}
