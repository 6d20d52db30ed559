import { execa, type Options } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/veloready.js');

/** A scratch directory to run the CLI in, so `.veloready/` and `.env` never touch the repo. */
export function scratchDir(prefix = 'vr-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs the built CLI as its shebang does (`node -- bin/veloready.js`). Never throws on a non-zero exit. */
export function runCli(args: string[], opts: Options = {}, nodeArgs: string[] = []) {
  const env = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, SUPABASE_JWT_SECRET: undefined, DATABASE_URL: undefined, ...(opts.env ?? {}) } as Record<string, string | undefined>;
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return execa('node', [...nodeArgs, '--', BIN, ...args], { reject: false, extendEnv: false, ...opts, env: env as Record<string, string> });
}
