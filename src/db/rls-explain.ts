/**
 * Why a write the isolation check expected to be refused went through, and the one-line fix:
 * the policies and grants that let `authenticated` do it.
 */
import { quoteIdent, type ColumnInfo, type PolicyInfo, type TableInfo } from './catalog.js';
import type { Queryable } from './sql.js';

export type WriteCommand = 'INSERT' | 'UPDATE';

const appliesToAuthenticated = (p: PolicyInfo): boolean => p.roles.includes('authenticated') || p.roles.includes('public');

/** Permissive policies for this command that `authenticated` gets (FOR ALL included). */
export function allowingPolicies(policies: readonly PolicyInfo[], table: TableInfo, cmd: WriteCommand): PolicyInfo[] {
  return policies.filter((p) => p.table === table.name && (p.cmd === cmd || p.cmd === 'ALL') && appliesToAuthenticated(p));
}

/** "policy "x" (FOR ALL) and the table-wide INSERT grant to authenticated", from the catalog. */
export async function allowedBy(tx: Queryable, policies: readonly PolicyInfo[], table: TableInfo, cmd: WriteCommand, column?: string): Promise<string> {
  const grant = await grantText(tx, table, cmd, column);
  if (!table.rlsEnabled) return `row level security is disabled and ${grant}`;
  const allowing = allowingPolicies(policies, table, cmd);
  const named = allowing.map((p) => `policy ${JSON.stringify(p.name)} (FOR ${p.cmd})`).join(', ');
  return `${named || 'no policy (?)'} and ${grant}`;
}

async function grantText(tx: Queryable, table: TableInfo, cmd: WriteCommand, column?: string): Promise<string> {
  const { rows } = await tx.query<{ whole: boolean }>(`select has_table_privilege('authenticated', $1, $2) as whole`, [table.qualified, cmd]);
  if (rows[0]?.whole) return `the table-wide ${cmd} grant to authenticated`;
  return column ? `the ${cmd} (${column}) grant to authenticated` : `a column ${cmd} grant to authenticated`;
}

/** Columns a user may sensibly keep updating: not keys, not owner or reference columns, not tokens. */
function profileColumns(table: TableInfo, owner: ColumnInfo | undefined): string[] {
  return table.columns
    .filter((c) => !c.generated && !table.primaryKey.includes(c.name) && c !== owner && !c.references && !/token|secret|password/i.test(c.name) && !/_at$/.test(c.name.replace(/^updated_at$/, '')))
    .map((c) => quoteIdent(c.name));
}

/** Fix for "a user inserts a row choosing its externally assigned key". */
export function chosenKeyFix(table: TableInfo): string {
  return `revoke insert on ${table.qualified} from authenticated; -- only the service role creates these rows (their ${table.primaryKey.join(', ')} comes from outside)`;
}

/** Fix for "a user re-keys (or re-owns) its own row". */
export function rekeyFix(table: TableInfo, column: string, owner: ColumnInfo | undefined, tableWide: boolean): string {
  if (!tableWide) return `revoke update (${quoteIdent(column)}) on ${table.qualified} from authenticated;`;
  const keep = profileColumns(table, owner);
  return `revoke update on ${table.qualified} from authenticated;` + (keep.length ? ` grant update (${keep.join(', ')}) on ${table.qualified} to authenticated;` : '');
}

/** Fix for "a user's row points at another tenant's row": the reference must be visible (its own). */
export function referenceFix(policies: readonly PolicyInfo[], table: TableInfo, cmd: WriteCommand, column: string, ref: { table: string; column: string }): string {
  const [qSchema, qTable] = ref.table.split('.') as [string, string];
  const refCheck = `${quoteIdent(column)} in (select ${quoteIdent(ref.column)} from ${quoteIdent(qSchema)}.${quoteIdent(qTable)})`;
  const policy = allowingPolicies(policies, table, cmd)[0];
  if (!policy) return `enable row level security on ${table.qualified} with policies whose WITH CHECK includes ${refCheck}`;
  const current = (policy.withCheck ?? policy.qual ?? 'true').replace(/\s+/g, ' ');
  return `alter policy ${quoteIdent(policy.name)} on ${table.qualified} with check ((${current}) and ${refCheck}); -- ${ref.table}'s RLS limits the subquery to the caller's rows`;
}
