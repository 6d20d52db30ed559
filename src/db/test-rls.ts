import { table } from '../cli/output.js';
import { checkRlsIsolation, type RlsCheck } from './rls-check.js';
import { runSqlTests, type SqlTestResult } from './sql-tests.js';
import type { Sql } from './sql.js';

export interface RlsReport {
  passed: boolean;
  checks: RlsCheck[];
  tests: SqlTestResult[];
  summary: { checks: number; failedChecks: number; tests: number; failedTests: number };
}

/** `db test-rls`: the automatic isolation proof, then the hand-written tests. Nothing is kept. */
export async function runRlsTests(sql: Sql, options: { testsDir?: string | undefined } = {}): Promise<RlsReport> {
  const checks = await checkRlsIsolation(sql);
  const tests = options.testsDir ? await runSqlTests(sql, options.testsDir) : [];
  const failedChecks = checks.filter((c) => c.verdict === 'fail').length;
  const failedTests = tests.filter((t) => !t.passed).length;
  return {
    passed: failedChecks === 0 && failedTests === 0,
    checks,
    tests,
    summary: { checks: checks.length, failedChecks, tests: tests.length, failedTests },
  };
}

export function renderRlsReport(report: RlsReport): string {
  const parts = [table(['TABLE', 'OPERATION', 'VERDICT', 'DETAIL'], report.checks.map((c) => [c.table, c.operation, c.verdict.toUpperCase(), c.detail]))];
  const findings = report.checks.filter((c) => c.fix);
  if (findings.length > 0) parts.push('\nFindings:');
  for (const f of findings) {
    parts.push(`  ${f.table} ${f.operation}: ${f.detail}`, `    allowed by: ${f.allowedBy ?? '?'}`, `    fix: ${f.fix}`);
  }
  for (const t of report.tests) {
    parts.push(`\n${t.passed ? 'PASS' : 'FAIL'} ${t.file} (${t.kind}, ${t.durationMs} ms)`);
    for (const line of t.output) parts.push(`  ${line}`);
  }
  const s = report.summary;
  parts.push(
    `\n${report.passed ? 'PASS' : 'FAIL'}: ${s.checks - s.failedChecks}/${s.checks} isolation checks passed` +
      (s.tests ? `, ${s.tests - s.failedTests}/${s.tests} test files passed` : '') +
      '; everything ran in rolled-back transactions.',
  );
  return parts.join('\n');
}
