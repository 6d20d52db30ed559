import { publicPolicies, publicTables, quoteIdent, type TableInfo } from './catalog.js';
import { asRole, asUser } from './rls.js';
import { checkClaims } from './rls-claims.js';
import { inRolledBackTransaction, undone } from './rolled-back.js';
import {
  buildInsert,
  FAKE_USERS,
  insertRow,
  ownerColumn,
  ownerValue,
  referenceOrder,
  ValueSource,
  type FakeUser,
  type OwnedRows,
  type RowRef,
} from './rls-rows.js';
import type { Queryable, Sql } from './sql.js';

export type Verdict = 'pass' | 'fail' | 'skip';

export interface RlsCheck {
  table: string;
  operation: string;
  verdict: Verdict;
  detail: string;
  /** On a cross-tenant reference or identity claim finding: the policy or grant that allowed it. */
  allowedBy?: string;
  /** ...and one line that closes it. */
  fix?: string;
}

/** Postgres's "insufficient privilege": missing grant, or a row refused by a policy. */
const INSUFFICIENT_PRIVILEGE = '42501';
const WRITE_COMMANDS = new Set(['UPDATE', 'ALL']);

interface PgError {
  code?: string;
  message?: string;
}

function claimsOf(user: FakeUser): Record<string, unknown> {
  return { sub: user.id, role: 'authenticated', aud: 'authenticated', email: user.email, is_anonymous: false };
}

/** Runs a write as `user`; a refusal (42501) or 0 rows touched passes. */
async function refused(tx: Queryable, user: FakeUser, text: string, params: readonly unknown[]): Promise<{ ok: boolean; detail: string }> {
  return undone(tx, async () => {
    await asUser(tx, claimsOf(user));
    try {
      const { rowCount } = await tx.query(text, params);
      return rowCount === 0 ? { ok: true, detail: 'touched 0 rows' } : { ok: false, detail: `touched ${rowCount} row(s) of the other user` };
    } catch (err) {
      const e = err as PgError;
      if (e.code === INSUFFICIENT_PRIVILEGE) return { ok: true, detail: 'refused' };
      return { ok: false, detail: `not refused by RLS (then failed: ${e.message ?? String(err)})` };
    }
  });
}

function merge(results: Array<{ ok: boolean; detail: string }>): { verdict: Verdict; detail: string } {
  const bad = results.find((r) => !r.ok);
  return bad ? { verdict: 'fail', detail: bad.detail } : { verdict: 'pass', detail: results[0]?.detail ?? '' };
}

/**
 * Proves tenant isolation on every table in `public`, inside one transaction that is rolled back:
 * two fake users get rows in every table; then, as `authenticated` with each user's claims, the
 * other user's rows must be invisible and every write on them refused or a no-op; `anon` must see
 * nothing; RLS must be enabled everywhere and UPDATE/ALL policies must carry WITH CHECK. Then the
 * attacks of rls-claims.ts: rows pointing at the other user's rows, and keys chosen or changed.
 */
export async function checkRlsIsolation(sql: Sql): Promise<RlsCheck[]> {
  return inRolledBackTransaction(sql, async (tx) => {
    const checks: RlsCheck[] = [];
    const tables = referenceOrder(await publicTables(tx));
    const policies = await publicPolicies(tx);
    const add = (table: string, operation: string, verdict: Verdict, detail: string): void => {
      checks.push({ table, operation, verdict, detail });
    };

    const authUsers = await tx.query<{ t: string | null }>(`select to_regclass('auth.users')::text as t`);
    if (!authUsers.rows[0]?.t) {
      add('auth.users', 'setup', 'fail', 'no auth.users table: run `veloready db migrate` (it adds the local auth shim)');
      return checks;
    }
    for (const user of FAKE_USERS) {
      await tx.query(`insert into auth.users (id, email, aud, role) values ($1, $2, 'authenticated', 'authenticated')`, [user.id, user.email]);
    }

    const owned: OwnedRows = { rows: new Map() };
    const seq = new ValueSource();
    const unusable = new Map<string, string>();
    for (const table of tables) {
      const perUser = new Map<string, RowRef>();
      try {
        await undoneOnError(tx, async () => {
          for (const user of FAKE_USERS) perUser.set(user.key, await insertRow(tx, table, buildInsert(table, user, owned, seq)));
        });
        owned.rows.set(`public.${table.name}`, perUser);
      } catch (err) {
        unusable.set(table.name, (err as PgError).message ?? String(err));
      }
    }

    for (const table of tables) {
      add(table.name, 'RLS enabled', table.rlsEnabled ? 'pass' : 'fail', table.rlsEnabled ? 'enabled' : 'row level security is disabled');
      const loose = policies.filter((p) => p.table === table.name && WRITE_COMMANDS.has(p.cmd) && !p.withCheck);
      add(
        table.name,
        'WITH CHECK',
        loose.length === 0 ? 'pass' : 'fail',
        loose.length === 0 ? 'every write policy has WITH CHECK' : `policy ${loose.map((p) => `${p.name} (FOR ${p.cmd})`).join(', ')} has no WITH CHECK`,
      );
      const problem = unusable.get(table.name);
      if (problem !== undefined) {
        add(table.name, 'rows', 'fail', `could not create test rows: ${problem}`);
        continue;
      }
      await checkTable(tx, table, owned, seq, add);
      for (const c of await checkClaims({ tx, tables, policies, owned, seq, claimsOf }, table)) checks.push({ table: table.name, ...c });
    }
    return checks;
  });
}

async function undoneOnError(tx: Queryable, fn: () => Promise<void>): Promise<void> {
  await tx.exec('savepoint veloready_rows');
  try {
    await fn();
    await tx.exec('release savepoint veloready_rows');
  } catch (err) {
    await tx.exec('rollback to savepoint veloready_rows');
    throw err;
  }
}

async function checkTable(
  tx: Queryable,
  table: TableInfo,
  owned: OwnedRows,
  seq: ValueSource,
  add: (table: string, operation: string, verdict: Verdict, detail: string) => void,
): Promise<void> {
  const rows = owned.rows.get(`public.${table.name}`)!;
  const [a, b] = FAKE_USERS as [FakeUser, FakeUser];
  const pairs: Array<[FakeUser, FakeUser]> = [[a, b], [b, a]];
  const anyColumn = table.columns.find((c) => !c.generated && !table.primaryKey.includes(c.name)) ?? table.columns[0]!;
  const owner = ownerColumn(table);

  const select = [];
  for (const [me, other] of pairs) {
    const theirs = rows.get(other.key)!;
    select.push(
      await undone(tx, async () => {
        await asUser(tx, claimsOf(me));
        try {
          const seen = await tx.query(`select 1 from ${table.qualified} where ${theirs.where}`, theirs.params);
          return seen.rowCount === 0 ? { ok: true, detail: "other user's rows invisible" } : { ok: false, detail: "sees the other user's rows" };
        } catch (err) {
          const e = err as PgError;
          return e.code === INSUFFICIENT_PRIVILEGE ? { ok: true, detail: 'refused' } : { ok: false, detail: e.message ?? String(err) };
        }
      }),
    );
  }
  const s = merge(select);
  add(table.name, 'SELECT', s.verdict, s.detail);

  const insert = [];
  for (const [me, other] of pairs) {
    const row = buildInsert(table, other, owned, seq);
    insert.push(await refused(tx, me, row.text, row.params));
  }
  const i = merge(insert);
  add(table.name, 'INSERT', i.verdict, i.verdict === 'fail' ? `inserted a row owned by the other user: ${i.detail}` : i.detail);

  const update = [];
  for (const [me, other] of pairs) {
    const theirs = rows.get(other.key)!;
    const col = quoteIdent(anyColumn.name);
    update.push(await refused(tx, me, `update ${table.qualified} set ${col} = ${col} where ${theirs.where}`, theirs.params));
  }
  const u = merge(update);
  add(table.name, 'UPDATE', u.verdict, u.detail);

  if (owner) {
    const handover = [];
    for (const [me, other] of pairs) {
      const mine = rows.get(me.key)!;
      const value = ownerValue(owner, other, owned);
      if (value === undefined) continue;
      const n = mine.params.length;
      handover.push(
        await refused(tx, me, `update ${table.qualified} set ${quoteIdent(owner.name)} = $${n + 1}::${owner.type} where ${mine.where}`, [...mine.params, value]),
      );
    }
    const h = merge(handover);
    add(table.name, 'UPDATE owner', handover.length ? h.verdict : 'skip', h.verdict === 'fail' ? `moved a row to the other user: ${h.detail}` : h.detail);
  } else {
    add(table.name, 'UPDATE owner', 'skip', 'no owner column');
  }

  const del = [];
  for (const [me, other] of pairs) {
    const theirs = rows.get(other.key)!;
    del.push(await refused(tx, me, `delete from ${table.qualified} where ${theirs.where}`, theirs.params));
  }
  const d = merge(del);
  add(table.name, 'DELETE', d.verdict, d.detail);

  const anon = await undone(tx, async () => {
    await asRole(tx, 'anon', { role: 'anon' });
    try {
      const { rows: seen } = await tx.query<{ n: string | number }>(`select count(*) as n from ${table.qualified}`);
      const n = Number(seen[0]?.n ?? 0);
      return n === 0 ? { ok: true, detail: 'sees nothing' } : { ok: false, detail: `anon sees ${n} row(s)` };
    } catch (err) {
      const e = err as PgError;
      return e.code === INSUFFICIENT_PRIVILEGE ? { ok: true, detail: 'refused' } : { ok: false, detail: e.message ?? String(err) };
    }
  });
  add(table.name, 'anon SELECT', anon.ok ? 'pass' : 'fail', anon.detail);
}
