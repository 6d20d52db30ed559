import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const sources = execFileSync('git', ['ls-files', 'src', 'commands'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.tsx?$/.test(f))
  // The fake Strava and the Supabase Auth subset answer in those services' own words
  // (`{"resource":"Application"}`, `validation_failed`): clients match on them as they are.
  .filter((f) => !/^src\/strava\/fake-|^src\/supabase\/gotrue/.test(f));

/**
 * veloready's own codes: `new VeloError('CODE'`, `new HttpError(400, 'CODE'`, `usageError('CODE'`,
 * `jsonError(404, 'CODE'` and `error: { code: 'CODE'` (Supabase Auth's own snake_case codes, which
 * supabase-js matches on, are built elsewhere and are not ours to change).
 */
const CODE_SITES = [
  /new (?:VeloError|UpstreamError|StravaError|HttpError|AiError)\(\s*(?:\d+,\s*)?'([^']+)'/g,
  /(?:usageError|jsonError|badRequest)\(\s*(?:\d+,\s*)?'([^']+)'/g,
  /error: \{ code: '([^']+)'/g,
];

describe('error codes', () => {
  it('every error code in src/ and commands/ is UPPER_CASE', () => {
    const found: string[] = [];
    const lower: string[] = [];
    for (const file of sources) {
      const text = readFileSync(resolve(ROOT, file), 'utf8');
      for (const re of CODE_SITES) {
        for (const m of text.matchAll(re)) {
          found.push(m[1]!);
          if (!/^[A-Z][A-Z0-9_]*$/.test(m[1]!)) lower.push(`${file}: ${m[1]}`);
        }
      }
    }
    expect(found.length).toBeGreaterThan(100);
    expect(lower).toEqual([]);
  });
});
