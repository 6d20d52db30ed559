import type { Queryable, Sql } from './sql.js';

/** JWT claims as PostgREST passes them to Postgres (`sub`, `role`, `email`, ...). */
export type Claims = Record<string, unknown>;

const ROLE_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_ROLE = 'authenticated';

function claimText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Makes the rest of the current transaction run as PostgREST runs a request: `role` switched
 * (transaction-local) and the claims in `request.jwt.claims`, plus the legacy per-claim settings
 * `request.jwt.claim.sub` / `.role` that older policies read. Call inside a transaction only.
 */
export async function asRole(tx: Queryable, role: string, claims: Claims = { role }): Promise<void> {
  if (!ROLE_RE.test(role)) throw new Error(`invalid role name: ${JSON.stringify(role)}`);
  await tx.query(
    `select set_config('role', $1, true),
            set_config('request.jwt.claims', $2, true),
            set_config('request.jwt.claim.sub', $3, true),
            set_config('request.jwt.claim.role', $4, true)`,
    [role, JSON.stringify(claims), claimText(claims.sub), claimText(claims.role ?? role)],
  );
}

/** asRole with the role taken from the claims (`authenticated` when they name none). */
export async function asUser(tx: Queryable, claims: Claims): Promise<void> {
  const role = typeof claims.role === 'string' && claims.role ? claims.role : DEFAULT_ROLE;
  await asRole(tx, role, claims);
}

/** Runs fn in its own transaction as the user of these claims (committed when fn resolves). */
export function withClaims<T>(sql: Sql, claims: Claims, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return sql.transaction(async (tx) => {
    await asUser(tx, claims);
    return fn(tx);
  });
}
