import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { errorLine } from './migration-error.js';
import { inRolledBackTransaction } from './rolled-back.js';
import { isTransactionControl, splitStatements } from './sql-split.js';
import type { Queryable, Sql } from './sql.js';

export interface SqlTestResult {
  file: string;
  kind: 'sql' | 'pgtap';
  passed: boolean;
  /** TAP lines (pgTAP files) or the failure message. */
  output: string[];
  durationMs: number;
}

const PGTAP_RE = /\b(plan|no_plan|finish)\s*\(/i;
const CREATES_PGTAP_RE = /create\s+extension\s+(if\s+not\s+exists\s+)?"?pgtap/i;
const TAP_LINE_RE = /^(ok|not ok|\d+\.\.\d+|#|Bail out!)/;

/** `.sql` files under dir (recursively), in path order. */
export function listSqlTests(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.sql')) out.push(path);
    }
  };
  walk(dir);
  return out;
}

async function ensurePgtap(tx: Queryable): Promise<void> {
  // Supabase keeps extensions in schema `extensions` and puts it on the search_path.
  await tx.exec(`create schema if not exists extensions; set local search_path = "$user", public, extensions`);
  try {
    await tx.exec('create extension if not exists pgtap with schema extensions');
  } catch (err) {
    const reason = (err as { message?: string }).message ?? String(err);
    throw new Error(
      `pgTAP is not available in this database (${reason}). A running \`veloready serve\` loads it only when started with --pgtap; ` +
        'on a Postgres server, install the pgtap package (Debian: postgresql-<version>-pgtap).',
      { cause: err },
    );
  }
}

function tapFailures(lines: string[]): string[] {
  const failures = lines.filter((l) => l.startsWith('not ok') || l.startsWith('Bail out!') || /^# Looks like/.test(l));
  const plan = lines.find((l) => /^1\.\.\d+$/.test(l));
  if (plan) {
    const planned = Number(plan.slice(3));
    const ran = lines.filter((l) => /^(not )?ok\b/.test(l)).length;
    if (planned !== ran && !failures.some((f) => f.startsWith('# Looks like'))) failures.push(`# planned ${planned} tests but ran ${ran}`);
  }
  return failures;
}

/**
 * Runs one test file in its own transaction, always rolled back. Plain SQL files pass when no
 * statement raises; pgTAP files (as written for `supabase test db`) pass when their TAP output
 * has no `not ok` and the plan matches.
 */
export async function runSqlTestFile(sql: Sql, path: string, root: string): Promise<SqlTestResult> {
  const started = performance.now();
  const script = readFileSync(path, 'utf8');
  const kind: SqlTestResult['kind'] = PGTAP_RE.test(script) ? 'pgtap' : 'sql';
  const file = relative(root, path) || path;
  const output: string[] = [];
  let passed = true;
  try {
    await inRolledBackTransaction(sql, async (tx) => {
      if (kind === 'pgtap' && !CREATES_PGTAP_RE.test(script)) await ensurePgtap(tx);
      for (const statement of splitStatements(script)) {
        if (isTransactionControl(statement.text)) continue;
        try {
          const { rows } = await tx.query<Record<string, unknown>>(statement.text);
          for (const row of rows) {
            const values = Object.values(row);
            if (values.length !== 1 || typeof values[0] !== 'string') continue;
            for (const line of values[0].split('\n')) if (TAP_LINE_RE.test(line)) output.push(line);
          }
        } catch (err) {
          const e = err as { message?: string };
          throw new Error(`line ${errorLine(statement, err)}: ${e.message ?? String(err)}`, { cause: err });
        }
      }
    });
    if (kind === 'pgtap') {
      const failures = tapFailures(output);
      if (failures.length > 0 || output.length === 0) passed = false;
    }
  } catch (err) {
    passed = false;
    output.push(`error at ${file} ${(err as Error).message}`);
  }
  return { file, kind, passed, output, durationMs: Math.round(performance.now() - started) };
}

export async function runSqlTests(sql: Sql, dir: string): Promise<SqlTestResult[]> {
  const results: SqlTestResult[] = [];
  for (const path of listSqlTests(dir)) results.push(await runSqlTestFile(sql, path, dir));
  return results;
}
