import { quoteIdent } from '../catalog.js';
import type { ColumnSnapshot, PolicySnapshot, TableSnapshot } from './snapshot.js';

/**
 * SQL that makes a migration reproduce what the live database has. Every statement is
 * idempotent (`if not exists`, `drop … if exists` then `create`), because the migration it goes
 * into also runs on that live database, where the object already is as written.
 */
export function qualified(t: Pick<TableSnapshot, 'schema' | 'name'>): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
}

function columnDefinition(c: ColumnSnapshot): string {
  return `${c.type}${c.default !== null ? ` default ${c.default}` : ''}${c.notNull ? ' not null' : ''}`;
}

export function addColumnSql(t: TableSnapshot, name: string, c: ColumnSnapshot): string | undefined {
  if (c.identity || c.generated) return undefined;
  return `alter table ${qualified(t)} add column if not exists ${quoteIdent(name)} ${columnDefinition(c)};`;
}

/** Nullability and default only: a type change may need a USING clause, so it stays hand-written. */
export function alterColumnSql(t: TableSnapshot, name: string, expected: ColumnSnapshot, found: ColumnSnapshot): string | undefined {
  if (expected.type !== found.type || expected.identity !== found.identity || expected.generated !== found.generated) return undefined;
  const statements: string[] = [];
  const col = `alter table ${qualified(t)} alter column ${quoteIdent(name)}`;
  if (expected.notNull !== found.notNull) statements.push(`${col} ${found.notNull ? 'set' : 'drop'} not null;`);
  if (expected.default !== found.default) statements.push(found.default === null ? `${col} drop default;` : `${col} set default ${found.default};`);
  return statements.join('\n');
}

/** `CREATE INDEX name ON …` → `CREATE INDEX IF NOT EXISTS name ON …` */
export function createIndexSql(definition: string): string {
  return `${definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS ')};`;
}

export function dropIndexSql(t: TableSnapshot, name: string): string {
  return `drop index if exists ${quoteIdent(t.schema)}.${quoteIdent(name)};`;
}

export function dropPolicySql(t: TableSnapshot, name: string): string {
  return `drop policy if exists ${quoteIdent(name)} on ${qualified(t)};`;
}

export function createPolicySql(t: TableSnapshot, name: string, p: PolicySnapshot): string {
  const roles = p.roles.map((r) => (r === 'public' ? 'public' : quoteIdent(r))).join(', ');
  return [
    dropPolicySql(t, name),
    `create policy ${quoteIdent(name)} on ${qualified(t)} as ${p.permissive.toLowerCase()} for ${p.command.toLowerCase()} to ${roles}` +
      (p.using !== null ? `\n  using (${p.using})` : '') +
      (p.withCheck !== null ? `\n  with check (${p.withCheck})` : '') +
      ';',
  ].join('\n');
}

export function rlsSql(t: TableSnapshot, found: TableSnapshot['rls'], expected: TableSnapshot['rls']): string {
  const statements: string[] = [];
  if (found.enabled !== expected.enabled) statements.push(`alter table ${qualified(t)} ${found.enabled ? 'enable' : 'disable'} row level security;`);
  if (found.forced !== expected.forced) statements.push(`alter table ${qualified(t)} ${found.forced ? 'force' : 'no force'} row level security;`);
  return statements.join('\n');
}

const PRIVILEGE_ORDER = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN'];
const privileges = (list: string[]): string => list.sort((a, b) => PRIVILEGE_ORDER.indexOf(a) - PRIVILEGE_ORDER.indexOf(b)).join(', ').toLowerCase();

/** Grants and revokes turning `expected` privileges into `found` ones (column: one column's). */
export function grantSql(t: TableSnapshot, role: string, expected: string[], found: string[], column?: string): string {
  const add = found.filter((p) => !expected.includes(p));
  const remove = expected.filter((p) => !found.includes(p));
  const on = column === undefined ? '' : ` (${quoteIdent(column)})`;
  const statements: string[] = [];
  if (add.length > 0) statements.push(`grant ${privileges(add).split(', ').map((p) => p + on).join(', ')} on ${qualified(t)} to ${quoteIdent(role)};`);
  if (remove.length > 0) statements.push(`revoke ${privileges(remove).split(', ').map((p) => p + on).join(', ')} on ${qualified(t)} from ${quoteIdent(role)};`);
  return statements.join('\n');
}
