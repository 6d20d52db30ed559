import { execa, type Options } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/veloready.js');

/** A scratch directory to run the CLI in, so `.veloready/` and `.env` never touch the repo. */
export function scratchDir(prefix = 'vr-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * The environment a user's shell would give the CLI: none of the test run's own configuration
 * (DATABASE_URL, secrets, colour forcing) leaks in unless a test passes it.
 */
export function cliEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: undefined,
    FORCE_COLOR: undefined,
    SUPABASE_JWT_SECRET: undefined,
    DATABASE_URL: undefined,
    VELOREADY_API_URL: undefined,
    VELOREADY_DATA_DIR: undefined,
    ...extra,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env as Record<string, string>;
}

/** What tests pass to the CLI run: a folder, extra environment, stdin. */
export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  stdin?: 'ignore' | 'pipe' | 'inherit';
  timeout?: number;
}

/** Runs the built CLI as its shebang does (`node -- bin/veloready.js`). Never throws on a non-zero exit. */
export function runCli(args: string[], opts: CliOptions = {}, nodeArgs: string[] = []) {
  const { env, ...rest } = opts;
  return execa('node', [...nodeArgs, '--', BIN, ...args], { reject: false, ...rest, extendEnv: false, env: cliEnv(env ?? {}) } satisfies Options);
}
