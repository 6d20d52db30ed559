import { constants, copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { ResolvedConfig } from '../config/config.js';
import { MIGRATION_FILE_RE } from './migration-files.js';
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

/** `--dir` when the command was given one, else VELOREADY_MIGRATIONS_DIR as configured (environment or .env). */
export function migrationsDirOptions(config: Pick<ResolvedConfig, 'get' | 'source'>): ResolveMigrationsDirOptions {
  const value = config.get('migrationsDir');
  return config.source('migrationsDir') === 'flag' ? { flag: value } : { envValue: value };
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

export interface WritableMigrationsDir extends ResolvedMigrationsDir {
  /** The folder did not exist and was created. */
  created: boolean;
  /** Shipped migrations copied into a newly created project folder. */
  copied: string[];
}

/**
 * Where `db new` and `db diff --write` create files: the resolved folder, unless that is the
 * installed package's own schema, which is never written to; then `./supabase/migrations`, created
 * with a copy of the shipped migrations, because from then on every command resolves that folder
 * and it must still hold the schema the database was migrated with.
 */
export function prepareWritableMigrationsDir(options: ResolveMigrationsDirOptions = {}): WritableMigrationsDir {
  const resolved = resolveMigrationsDir(options);
  if (resolved.source !== 'shipped') {
    const created = !existsSync(resolved.dir);
    mkdirSync(resolved.dir, { recursive: true });
    return { ...resolved, created, copied: [] };
  }
  const project = resolve(options.cwd ?? process.cwd(), PROJECT_MIGRATIONS_DIR);
  mkdirSync(project, { recursive: true });
  const copied = readdirSync(resolved.dir).filter((f) => MIGRATION_FILE_RE.test(f)).sort();
  for (const f of copied) copyFileSync(join(resolved.dir, f), join(project, f), constants.COPYFILE_EXCL);
  return { dir: project, source: 'project', created: true, copied };
}
