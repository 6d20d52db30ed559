import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { renderRlsReport, runRlsTests } from '../../src/db/test-rls.js';
import type { Sql } from '../../src/db/sql.js';
import { FIXTURES, freshDatabases, HAS_POSTGRES, pgliteBackend, postgresBackend, type Backend } from './backends.js';

/** Everything a rolled-back check could leave behind: rows of every user table, sequences, roles. */
async function fingerprint(sql: Sql): Promise<string> {
  const { rows: tables } = await sql.query<{ t: string }>(
    `select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as t from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'r' and n.nspname in ('public', 'auth', 'veloready') order by 1`,
  );
  const parts: string[] = [];
  for (const { t } of tables) {
    const { rows } = await sql.query<{ h: string | null; n: string }>(
      `select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h, count(*)::text as n from ${t} x`,
    );
    parts.push(`${t}:${rows[0]!.n}:${rows[0]!.h}`);
  }
  const { rows: seqs } = await sql.query<{ s: string }>(
    `select schemaname || '.' || sequencename || '=' || coalesce(last_value::text, 'null') as s from pg_sequences order by 1`,
  );
  const { rows: ext } = await sql.query<{ e: string }>(`select string_agg(extname, ',' order by extname) as e from pg_extension`);
  return [...parts, ...seqs.map((r) => r.s), `ext:${ext[0]!.e}`].join('\n');
}

function defineRlsTests(backend: Backend): void {
  const open = freshDatabases(backend);

  it('passes on the shipped schema: every table, every operation, both users, anon sees nothing', async () => {
    const sql = await open('migrated');
    const report = await runRlsTests(sql);
    expect(report.checks.filter((c) => c.verdict === 'fail')).toEqual([]);
    expect(report.passed).toBe(true);
    const tables = new Set(report.checks.map((c) => c.table));
    expect([...tables].sort()).toEqual([
      'activities', 'activity_streams', 'athletes', 'auth_sessions', 'backfill_jobs', 'refresh_tokens', 'strava_webhook_events',
    ]);
    const ops = report.checks.filter((c) => c.table === 'activities').map((c) => `${c.operation}:${c.verdict}`);
    expect(ops).toEqual([
      'RLS enabled:pass', 'WITH CHECK:pass', 'SELECT:pass', 'INSERT:pass', 'UPDATE:pass', 'UPDATE owner:pass', 'DELETE:pass', 'anon SELECT:pass',
      'INSERT chosen key id:pass', 'UPDATE key id:pass',
    ]);
    const athletes = report.checks.filter((c) => c.table === 'athletes').map((c) => `${c.operation}:${c.verdict}`);
    expect(athletes).toContain('INSERT chosen key id:pass');
    expect(athletes).toContain('UPDATE key id:pass');
    const streams = report.checks.filter((c) => c.table === 'activity_streams' && c.operation.includes('reference activity_id'));
    expect(streams.map((c) => `${c.operation}:${c.verdict}`)).toEqual(['INSERT reference activity_id:pass', 'UPDATE reference activity_id:pass']);
  });

  it("fails the reference document's schema naming athletes (a chosen Strava id) and activity_streams (another tenant's activity), with the policy and the fix", async () => {
    const sql = await open('empty');
    await migrate(sql, { dir: join(FIXTURES, 'reference-schema') });
    const before = await fingerprint(sql);
    const report = await runRlsTests(sql);
    expect(report.passed).toBe(false);
    const finding = (table: string, operation: string) => report.checks.find((c) => c.table === table && c.operation === operation && c.verdict === 'fail');
    const claim = finding('athletes', 'INSERT chosen key id')!;
    expect(claim.detail).toContain('athletes.id');
    expect(claim.allowedBy).toContain('policy "Users can access own athlete" (FOR ALL)');
    expect(claim.fix).toMatch(/^revoke insert on "public"\."athletes" from authenticated;/);
    expect(finding('athletes', 'UPDATE key id')!.fix).toMatch(/^revoke update on "public"\."athletes" from authenticated; grant update \("firstname", /);
    const reference = finding('activity_streams', 'INSERT reference activity_id')!;
    expect(reference.allowedBy).toContain('policy "Users can access own streams" (FOR ALL)');
    expect(reference.fix).toMatch(/^alter policy "Users can access own streams" on "public"\."activity_streams" with check \(.*"activity_id" in \(select "id" from "public"\."activities"\)\)/);
    expect(finding('activity_streams', 'UPDATE reference activity_id')).toBeDefined();
    const text = renderRlsReport(report);
    expect(text).toContain('athletes INSERT chosen key id');
    expect(text).toContain('activity_streams INSERT reference activity_id');
    expect(text).toContain('    fix: revoke insert on "public"."athletes" from authenticated;');
    expect(await fingerprint(sql)).toBe(before);
  });

  it('finds a table shaped like the streams hole and a user-chosen external key; their correct twins pass', async () => {
    const sql = await open('empty');
    await migrate(sql, { dir: join(FIXTURES, 'migrations-broken-references') });
    const report = await runRlsTests(sql);
    const failed = report.checks.filter((c) => c.verdict === 'fail').map((c) => `${c.table} ${c.operation}`);
    expect(failed.sort()).toEqual([
      'devices INSERT chosen key serial',
      'devices UPDATE key serial',
      'ride_notes INSERT reference ride_id',
      'ride_notes UPDATE key id',
      'ride_notes UPDATE reference ride_id',
    ]);
    for (const c of report.checks.filter((x) => x.verdict === 'fail')) {
      expect(c.allowedBy, `${c.table} ${c.operation}`).toMatch(/^policy "\w+" \(FOR ALL\) and the table-wide (INSERT|UPDATE) grant to authenticated$/);
      expect(c.fix, `${c.table} ${c.operation}`).toMatch(/^(revoke|alter policy)/);
    }
    const passed = report.checks.filter((c) => ['ride_notes_ok', 'devices_ok', 'rides'].includes(c.table) && /key|reference/.test(c.operation));
    expect(passed.map((c) => `${c.table} ${c.operation}:${c.verdict}`).sort()).toEqual([
      'devices_ok INSERT chosen key serial:pass',
      'devices_ok UPDATE key serial:pass',
      'ride_notes_ok INSERT reference ride_id:pass',
      'ride_notes_ok UPDATE key id:pass',
      'ride_notes_ok UPDATE reference ride_id:pass',
      'rides UPDATE key id:pass',
    ]);
  });

  it('fails naming table and operation on a table without RLS, a USING (true) policy and an update policy without WITH CHECK', async () => {
    const sql = await open('empty');
    await migrate(sql, { dir: join(FIXTURES, 'migrations-broken-rls') });
    const report = await runRlsTests(sql);
    expect(report.passed).toBe(false);
    const failed = report.checks.filter((c) => c.verdict === 'fail').map((c) => `${c.table} ${c.operation}`);
    expect(failed).toContain('notes_no_rls RLS enabled');
    expect(failed).toContain('notes_no_rls SELECT');
    expect(failed).toContain('notes_no_rls anon SELECT');
    expect(failed).toContain('notes_open SELECT');
    expect(failed).toContain('notes_no_check WITH CHECK');
    expect(failed.filter((f) => f.startsWith('notes_ok '))).toEqual([]);
    const noCheck = report.checks.find((c) => c.table === 'notes_no_check' && c.operation === 'WITH CHECK')!;
    expect(noCheck.detail).toContain('notes_no_check_update (FOR UPDATE)');
  });

  it('leaves the database exactly as it was, even when it finds failures', async () => {
    const sql = await open('empty');
    await migrate(sql);
    await migrate(sql, { dir: join(FIXTURES, 'migrations-broken-rls'), allowDrift: true });
    const before = await fingerprint(sql);
    const report = await runRlsTests(sql);
    expect(report.passed).toBe(false);
    expect(await fingerprint(sql)).toBe(before);
  });

  it('runs plain SQL and pgTAP test files, each rolled back, with TAP results in the report', async () => {
    const sql = await open('migrated');
    const dir = await mkdtemp(join(tmpdir(), 'veloready-sqltests-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(
      join(dir, '01_plain.sql'),
      `insert into auth.users (id, email) values ('11111111-1111-4111-8111-111111111111', 'plain@test.invalid');
       do $$ begin
         if (select count(*) from auth.users where email = 'plain@test.invalid') <> 1 then raise exception 'user missing'; end if;
       end $$;`,
    );
    await writeFile(join(dir, '02_fails.sql'), `select 1;\n\ndo $$ begin raise exception 'deliberate failure'; end $$;`);
    await writeFile(
      join(dir, '03_rls.test.sql'),
      `begin;
select plan(2);
select has_table('public', 'athletes', 'athletes exists');
select is((select count(*)::int from public.athletes), 0, 'no athletes');
select * from finish();
rollback;`,
    );
    await writeFile(join(dir, '04_tap_fails.test.sql'), `begin;\nselect plan(1);\nselect ok(false, 'deliberately not ok');\nselect * from finish();\nrollback;`);
    const before = await fingerprint(sql);
    const report = await runRlsTests(sql, { testsDir: dir });
    expect(report.tests.map((t) => [t.file, t.kind, t.passed])).toEqual([
      ['01_plain.sql', 'sql', true],
      ['02_fails.sql', 'sql', false],
      ['03_rls.test.sql', 'pgtap', true],
      ['04_tap_fails.test.sql', 'pgtap', false],
    ]);
    expect(report.tests[1]!.output.join('\n')).toContain('line 3: deliberate failure');
    expect(report.tests[2]!.output).toEqual(['1..2', 'ok 1 - athletes exists', 'ok 2 - no athletes']);
    expect(report.tests[3]!.output).toContain('not ok 1 - deliberately not ok');
    expect(report.passed).toBe(false);
    expect(await fingerprint(sql)).toBe(before);
  });
}

describe('db test-rls on PGlite', () => defineRlsTests(pgliteBackend));
describe.skipIf(!HAS_POSTGRES)('db test-rls on Postgres', () => defineRlsTests(postgresBackend));
