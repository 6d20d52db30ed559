import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { usageError } from '../errors.js';
import { redactSecret, redactUrl } from './redact.js';
import { SETTINGS, type Setting, type SettingKey } from './settings.js';

export type ConfigSource = 'flag' | 'env' | '.env' | 'default';

export interface ResolvedValue {
  value: string | undefined;
  source: ConfigSource | undefined;
}

export interface ResolveOptions {
  /** commander options (camelCase), globals and the command's own. */
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Explicit --env-file (must exist); otherwise `.env` in cwd when present. */
  envFile?: string;
}

export interface ResolvedConfig {
  readonly envFile: string | undefined;
  get(key: SettingKey): string | undefined;
  source(key: SettingKey): ConfigSource | undefined;
  /** The whole table with secrets redacted, for display. */
  describe(): Array<{ key: SettingKey; env?: string; value: string | undefined; source: ConfigSource | undefined; secret: boolean }>;
}

export const DEFAULT_ENV_FILE = '.env';

/** A .env file as name → value (Node's own parser, util.parseEnv). */
export function readEnvFile(path: string): { path: string; vars: Record<string, string> } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw usageError('ENV_FILE_UNREADABLE', `env file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'check the --env-file path (or the .env file here)');
  }
  return { path, vars: parseEnv(text) as Record<string, string> };
}

function loadEnvFile(opts: ResolveOptions): { path: string | undefined; vars: Record<string, string> } {
  const cwd = opts.cwd ?? process.cwd();
  if (opts.envFile !== undefined) {
    const path = resolve(cwd, opts.envFile);
    if (!existsSync(path)) {
      throw usageError('ENV_FILE_NOT_FOUND', `env file ${opts.envFile} does not exist`, 'check the --env-file path');
    }
    return readEnvFile(path);
  }
  const path = resolve(cwd, DEFAULT_ENV_FILE);
  if (!existsSync(path)) return { path: undefined, vars: {} };
  return readEnvFile(path);
}

function present(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

/** flags > environment > .env file > defaults. */
export function resolveConfig(opts: ResolveOptions = {}): ResolvedConfig {
  const env = opts.env ?? process.env;
  const flags = opts.flags ?? {};
  const file = loadEnvFile(opts);
  const values = new Map<SettingKey, ResolvedValue>();
  for (const s of SETTINGS as readonly Setting[]) {
    const flag = s.flag ? flags[s.flag] : undefined;
    let rv: ResolvedValue;
    if (present(flag)) rv = { value: flag, source: 'flag' };
    else if (s.env && present(env[s.env])) rv = { value: env[s.env], source: 'env' };
    else if (s.env && present(file.vars[s.env])) rv = { value: file.vars[s.env], source: '.env' };
    else if (s.default !== undefined) rv = { value: s.default, source: 'default' };
    else rv = { value: undefined, source: undefined };
    values.set(s.key as SettingKey, rv);
  }
  return {
    envFile: file.path,
    get: (key) => values.get(key)?.value,
    source: (key) => values.get(key)?.source,
    describe: () =>
      (SETTINGS as readonly Setting[]).map((s) => {
        const rv = values.get(s.key as SettingKey)!;
        // Every other value goes through redactUrl too: any URL setting may carry userinfo
        // (a password-protected site's https://user:pass@…), and plain values pass unchanged.
        const value = s.secret === 'value' ? redactSecret(rv.value) : redactUrl(rv.value);
        return { key: s.key as SettingKey, env: s.env, value, source: rv.source, secret: s.secret !== undefined };
      }),
  };
}
