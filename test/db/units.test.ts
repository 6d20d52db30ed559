import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitStatements } from '../../src/db/sql-split.js';
import { redactDbUrl } from '../../src/config/redact.js';
import { openPg, sslFromUrl } from '../../src/db/pg.js';
import { publicTables } from '../../src/db/catalog.js';
import { buildInsert, FAKE_USERS, insertRow, ValueSource } from '../../src/db/rls-rows.js';
import { inRolledBackTransaction } from '../../src/db/rolled-back.js';
import { asRole, asUser, withClaims } from '../../src/db/rls.js';
import { migrationVersion } from '../../src/db/new-migration.js';
import type { Sql } from '../../src/db/sql.js';
import { migratedPglite } from '../helpers/db.js';
import { HAS_POSTGRES } from './backends.js';

describe('splitStatements', () => {
  it('splits at top-level semicolons only, keeping quotes, comments and dollar bodies whole', () => {
    const script = [
      '-- header; not a statement',
      "create table t (a text default 'x;y');",
      '/* block; /* nested; */ still comment */',
      'create function f() returns int language plpgsql as $body$',
      'begin',
      '  return 1; -- inside',
      'end',
      '$body$;',
      "select E'it\\'s;', \"odd;name\" from t;",
      '',
    ].join('\n');
    const statements = splitStatements(script);
    expect(statements.map((s) => s.line)).toEqual([2, 4, 9]);
    expect(statements[0]!.text).toBe("create table t (a text default 'x;y')");
    expect(statements[1]!.text).toContain('return 1; -- inside');
    expect(statements[2]!.text).toBe("select E'it\\'s;', \"odd;name\" from t");
  });

  it('drops empty and comment-only statements', () => {
    expect(splitStatements(';;\n-- only a comment\n')).toEqual([]);
  });
});

describe('connection strings', () => {
  it('redacts the password and secret query parameters, keeps the rest', () => {
    expect(redactDbUrl('postgres://app:hunter2@db.example.com:6543/postgres?sslmode=require')).toBe(
      'postgres://app:****@db.example.com:6543/postgres?sslmode=require',
    );
    expect(redactDbUrl('postgres://app@db.example.com/postgres?password=hunter2')).not.toContain('hunter2');
    expect(redactDbUrl('postgres://app:p#ss/w@db.example.com/postgres')).not.toContain('p#ss');
    expect(redactDbUrl('postgres://postgres@127.0.0.1:5432/test')).toBe('postgres://postgres@127.0.0.1:5432/test');
  });

  it('uses TLS when the URL asks for it, verifying only for verify-ca / verify-full', () => {
    expect(sslFromUrl('postgres://u@h/db?sslmode=require').ssl).toEqual({ rejectUnauthorized: false });
    expect(sslFromUrl('postgres://u@h/db?sslmode=verify-full').ssl).toEqual({ rejectUnauthorized: true });
    expect(sslFromUrl('postgres://u@h/db').ssl).toBe(false);
    expect(sslFromUrl('postgres://u@h/db?sslmode=require').connectionString).toBe('postgres://u@h/db');
  });

  it('sslmode=prefer asks for TLS but may fall back to plain TCP, as libpq does; require may not', () => {
    expect(sslFromUrl('postgres://u@h/db?sslmode=prefer')).toMatchObject({ ssl: { rejectUnauthorized: false }, plainFallback: true });
    expect(sslFromUrl('postgres://u@h/db?sslmode=require').plainFallback).toBe(false);
  });

  it.skipIf(!HAS_POSTGRES)('connects with sslmode=prefer to a server without TLS, and refuses with sslmode=require', async () => {
    const plain = await openPg(process.env.DATABASE_URL!, { maxConnections: 1 });
    const { rows } = await plain.query<{ ssl: string }>('show ssl').finally(() => plain.close());
    if (rows[0]!.ssl === 'on') return; // this server has TLS: nothing to fall back from
    const url = new URL(process.env.DATABASE_URL!);
    url.searchParams.set('sslmode', 'prefer');
    const sql = await openPg(url.toString(), { maxConnections: 1 });
    try {
      expect((await sql.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await sql.close();
    }
    url.searchParams.set('sslmode', 'require');
    await expect(openPg(url.toString(), { maxConnections: 1 })).rejects.toThrow(/does not support SSL/);
  });

  it('names migration versions like supabase migration new', () => {
    expect(migrationVersion(new Date('2026-03-04T05:06:07.890Z'))).toBe('20260304050607');
  });
});

describe('rows made by the isolation check', () => {
  it('are found again through the primary key index (a lookup on a production table, not a scan)', async () => {
    const sql = await migratedPglite(null);
    try {
      const plan = await inRolledBackTransaction(sql, async (tx) => {
        await tx.exec(`create table public.big (id bigint primary key, body text); set local enable_seqscan = off`);
        const table = (await publicTables(tx)).find((t) => t.name === 'big')!;
        const ref = await insertRow(tx, table, buildInsert(table, FAKE_USERS[0]!, { rows: new Map() }, new ValueSource()));
        const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`explain select 1 from ${table.qualified} where ${ref.where}`, ref.params);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan).toMatch(/Index (Only )?Scan using big_pkey/);
    } finally {
      await sql.close();
    }
  });
});

describe('asUser / asRole / withClaims', () => {
  let sql: Sql;
  beforeAll(async () => {
    sql = await migratedPglite();
  });
  afterAll(async () => {
    await sql.close();
  });

  it('sets role and claims as PostgREST does, for auth.uid(), auth.role() and auth.jwt()', async () => {
    const sub = '22222222-2222-4222-8222-222222222222';
    const row = await withClaims(sql, { sub, role: 'authenticated', email: 'a@b.c' }, async (tx) => {
      const { rows } = await tx.query<{ uid: string; role: string; email: string; cur: string; legacy: string }>(
        `select auth.uid()::text as uid, auth.role() as role, auth.jwt() ->> 'email' as email, current_user as cur,
                current_setting('request.jwt.claim.sub', true) as legacy`,
      );
      return rows[0];
    });
    expect(row).toEqual({ uid: sub, role: 'authenticated', email: 'a@b.c', cur: 'authenticated', legacy: sub });
  });

  it('scopes rows: a user sees only their own athlete, anon sees none, service_role sees all', async () => {
    const [u1, u2] = ['33333333-3333-4333-8333-333333333333', '44444444-4444-4444-8444-444444444444'];
    await sql.transaction(async (tx) => {
      await tx.query(`insert into auth.users (id, email) values ($1, 'u1@x.invalid'), ($2, 'u2@x.invalid')`, [u1, u2]);
      await tx.query(`insert into public.athletes (id, user_id) values (1, $1), (2, $2)`, [u1, u2]);
    });
    const ids = (claims: Record<string, unknown>, role?: string) =>
      sql.transaction(async (tx) => {
        if (role) await asRole(tx, role, claims);
        else await asUser(tx, claims);
        const { rows } = await tx.query<{ id: number }>('select id::int as id from public.athletes order by id');
        return rows.map((r) => r.id);
      });
    expect(await ids({ sub: u1, role: 'authenticated' })).toEqual([1]);
    expect(await ids({ sub: u2 })).toEqual([2]);
    expect(await ids({ role: 'anon' }, 'anon')).toEqual([]);
    expect(await ids({ role: 'service_role' }, 'service_role')).toEqual([1, 2]);
    // Settings were transaction-local: the session is back to its own role and no claims.
    const after = await sql.query<{ cur: string; uid: string | null }>('select current_user as cur, auth.uid()::text as uid');
    expect(after.rows[0]).toEqual({ cur: 'postgres', uid: null });
  });

  it('rejects a role name that is not an identifier', async () => {
    await expect(sql.transaction((tx) => asRole(tx, 'anon; drop table x'))).rejects.toThrow(/invalid role name/);
  });
});
