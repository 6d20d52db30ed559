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

export function loadBadRequests(...files: string[]): BadRequestCase[] {
  return files.flatMap((f) => JSON.parse(readFileSync(join(packageRoot(), 'fixtures', 'bad-requests', f), 'utf8')) as BadRequestCase[]);
}
