import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';

/** One hostile request of fixtures/bad-requests/*.json and what it must get. */
export interface BadRequestCase {
  name: string;
  method: string;
  path: string;
  /** Values may hold `{{placeholders}}` the test fills in (tokens). */
  headers?: Record<string, string>;
  body?: string;
  /** A body of this many bytes instead of `body`. */
  bodyBytes?: number;
  expectStatus: number;
  expectCode?: string;
  /** For background functions: the job answers 202 and then fails. */
  expectJobStatus?: number;
}

/** The request a case describes, `{{placeholders}}` in header values filled from `values`. */
export function requestOf(c: BadRequestCase, values: Record<string, string> = {}): { method: string; headers: Record<string, string>; body?: string } {
  const fill = (s: string) => s.replace(/\{\{(\w+)\}\}/g, (_, k: string) => values[k] ?? `{{${k}}}`);
  const headers = Object.fromEntries(Object.entries(c.headers ?? {}).map(([k, v]) => [k, fill(v)]));
  const body = c.bodyBytes ? 'x'.repeat(c.bodyBytes) : c.body;
  return { method: c.method, headers, ...(body !== undefined ? { body } : {}) };
}

export function loadBadRequests(...files: string[]): BadRequestCase[] {
  return files.flatMap((f) => JSON.parse(readFileSync(join(packageRoot(), 'fixtures', 'bad-requests', f), 'utf8')) as BadRequestCase[]);
}
