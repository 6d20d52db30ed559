import { existsSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { defaultMigrationsDir } from './paths.js';

/** Supabase's convention: a project keeps its migrations here, relative to its root. */
export const PROJECT_MIGRATIONS_DIR = join('supabase', 'migrations');
export const MIGRATIONS_DIR_ENV = 'VELOREADY_MIGRATIONS_DIR';

export type MigrationsDirSource = 'flag' | 'env' | 'project' | 'shipped';

export interface ResolvedMigrationsDir {
  dir: string;
  source: MigrationsDirSource;
}

export interface ResolveMigrationsDirOptions {
  /** `--dir`. */
  flag?: string | undefined;
  /** VELOREADY_MIGRATIONS_DIR as configured (environment or .env); process.env's when absent. */
  envValue?: string | undefined;
  /** The project's root (the working directory by default). */
  cwd?: string;
}

const isDir = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;

/**
 * The one resolution every db command and `serve` use: `--dir` > VELOREADY_MIGRATIONS_DIR >
 * `./supabase/migrations` when it exists > the shipped VeloReady schema.
 */
export function resolveMigrationsDir(options: ResolveMigrationsDirOptions = {}): ResolvedMigrationsDir {
  const cwd = options.cwd ?? process.cwd();
  if (options.flag) return { dir: resolve(cwd, options.flag), source: 'flag' };
  const fromEnv = 'envValue' in options ? options.envValue : process.env[MIGRATIONS_DIR_ENV];
  if (fromEnv) return { dir: resolve(cwd, fromEnv), source: 'env' };
  const project = resolve(cwd, PROJECT_MIGRATIONS_DIR);
  if (isDir(project)) return { dir: project, source: 'project' };
  return { dir: defaultMigrationsDir(), source: 'shipped' };
}

const SOURCE_LABEL: Record<MigrationsDirSource, string> = {
  flag: '--dir',
  env: MIGRATIONS_DIR_ENV,
  project: "the project's",
  shipped: "veloready's shipped schema",
};

/** `migrations: supabase/migrations (the project's)`, for the status line every command prints. */
export function describeMigrationsDir(resolved: ResolvedMigrationsDir, cwd = process.cwd()): string {
  const rel = relative(cwd, resolved.dir);
  const shown = rel && !rel.startsWith('..') ? rel : resolved.dir;
  return `migrations: ${shown} (${SOURCE_LABEL[resolved.source]})`;
}

/**
 * Where `db new` and `db diff --write` create files: the resolved folder unless that is the
 * installed package's own schema, which is never written to; then `./supabase/migrations`.
 */
export function writableMigrationsDir(options: ResolveMigrationsDirOptions = {}): ResolvedMigrationsDir & { created: boolean } {
  const resolved = resolveMigrationsDir(options);
  if (resolved.source !== 'shipped') return { ...resolved, created: !existsSync(resolved.dir) };
  const project = resolve(options.cwd ?? process.cwd(), PROJECT_MIGRATIONS_DIR);
  return { dir: project, source: 'project', created: !existsSync(project) };
}
