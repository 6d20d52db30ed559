import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { DEFAULT_ENV_FILE, readEnvFile } from '../config/config.js';
import { redactSecret, redactUrl } from '../config/redact.js';
import { VeloError } from '../errors.js';

/**
 * The environment a project's functions see under serve: serve's own local values, then the
 * project's (netlify.toml, then .env over it, as `netlify dev` orders them). Never veloready's
 * own process environment. Names that would point the functions at production (the database,
 * Supabase, the blobs context, their keys) keep serve's value unless named in `useEnv`.
 */
export interface FunctionEnvInput {
  projectDir: string;
  /** serve's own URL: SUPABASE_URL, URL and DEPLOY_URL. */
  serveUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
  /** The embedded database's socket (or --db-url). Without it the project's DATABASE_URL is dropped, not kept. */
  databaseUrl?: string;
  /** NETLIFY_BLOBS_CONTEXT for v2 functions (the runtime removes it for v1). */
  blobsContext: string;
  /** `--use-env NAME`: these keep the project's value. */
  useEnv?: string[];
}

export interface FunctionEnv {
  env: Record<string, string>;
  /** Each name where serve's value won over the project's; `projectValue` is redacted, fit to print. */
  replaced: Array<{ name: string; projectValue: string }>;
}

const NETLIFY_TOML = 'netlify.toml';
/** Names whose value, printed, would leak a secret: shown only as set and their length. */
const SECRET_NAMES = new Set(['SUPABASE_ANON_KEY', 'SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_JWT_SECRET', 'NETLIFY_BLOBS_CONTEXT']);

export function buildFunctionEnv(input: FunctionEnvInput): FunctionEnv {
  const local: Record<string, string | undefined> = {
    SUPABASE_URL: input.serveUrl,
    SUPABASE_ANON_KEY: input.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: input.serviceRoleKey,
    SUPABASE_JWT_SECRET: input.jwtSecret,
    DATABASE_URL: input.databaseUrl,
    URL: input.serveUrl,
    DEPLOY_URL: input.serveUrl,
    CONTEXT: 'dev',
    NETLIFY_DEV: 'true',
    NETLIFY_BLOBS_CONTEXT: input.blobsContext,
  };
  const project = projectEnv(input.projectDir);
  const keep = new Set(input.useEnv ?? []);
  const env: Record<string, string> = {};
  const replaced: FunctionEnv['replaced'] = [];
  for (const [name, value] of Object.entries(local)) if (value !== undefined) env[name] = value;
  for (const [name, value] of Object.entries(project)) {
    if (!(name in local) || keep.has(name)) {
      env[name] = value;
    } else if (value !== local[name]) {
      replaced.push({ name, projectValue: printable(name, value) });
    }
  }
  return { env, replaced };
}

/** The project's own variables: netlify.toml's [build.environment], [context.dev.environment], then .env. */
export function projectEnv(projectDir: string): Record<string, string> {
  const toml = tomlEnv(join(projectDir, NETLIFY_TOML));
  const dotenvPath = join(projectDir, DEFAULT_ENV_FILE);
  const dotenv = existsSync(dotenvPath) ? readEnvFile(dotenvPath).vars : {};
  return { ...toml.build, ...toml.dev, ...dotenv };
}

function tomlEnv(path: string): { build: Record<string, string>; dev: Record<string, string> } {
  if (!existsSync(path)) return { build: {}, dev: {} };
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new VeloError('INVALID_NETLIFY_TOML', `${path}: ${(err as Error).message.split('\n')[0] ?? 'parse error'}`, 'fix the file (TOML syntax)');
  }
  const context = table(doc['context'], `${path} [context]`);
  return {
    build: environmentOf(table(doc['build'], `${path} [build]`), `${path} [build.environment]`),
    dev: environmentOf(table(context['dev'], `${path} [context.dev]`), `${path} [context.dev.environment]`),
  };
}

function environmentOf(section: Record<string, unknown>, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(table(section['environment'], where))) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[name] = String(value);
    else throw new VeloError('INVALID_NETLIFY_TOML', `${where}: "${name}" must be a string, number or boolean`, 'give each variable a plain value');
  }
  return out;
}

function table(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) return value as Record<string, unknown>;
  throw new VeloError('INVALID_NETLIFY_TOML', `${where} must be a table`, 'see https://docs.netlify.com/configure-builds/file-based-configuration/');
}

const printable = (name: string, value: string): string => (SECRET_NAMES.has(name) ? redactSecret(value)! : redactUrl(value)!);
