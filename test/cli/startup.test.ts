import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, scratchDir } from '../helpers/cli.js';

// `--help` and `--version` must not pay for the heavy modules: record every module actually resolved.
const HEAVY = ['ink', 'react', 'pg', '@electric-sql/pglite', 'better-sqlite3', 'undici', '@supabase/supabase-js'];

const recorder = (file: string) => `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
  import { appendFileSync } from 'node:fs';
  export async function resolve(spec, ctx, next) {
    const r = await next(spec, ctx);
    appendFileSync(${JSON.stringify(file)}, r.url + '\\\\n');
    return r;
  }
\`));
`;

describe('startup', () => {
  for (const args of [['--help'], ['--version'], ['token', '--help']]) {
    it(`veloready ${args.join(' ')} loads none of the heavy modules`, async () => {
      const dir = scratchDir();
      const log = join(dir, 'modules.log');
      const r = await runCli(args, { cwd: dir }, ['--import', `data:text/javascript,${encodeURIComponent(recorder(log))}`]);
      expect(r.exitCode).toBe(0);
      const loaded = readFileSync(log, 'utf8');
      expect(loaded, 'recorder saw the CLI load').toContain('commands/index.js');
      expect(loaded, 'recorder saw commander').toContain('/node_modules/commander/');
      for (const mod of HEAVY) expect(loaded, mod).not.toContain(`/node_modules/${mod}/`);
    });
  }
});
