import { relative } from 'node:path';
import { BUILT_IN, type FunctionDef } from '../emulator/functions.js';
import { loadRedirects, loadSchedules, netlifyTomlPath, scheduleFor, type RedirectRule } from '../emulator/redirects.js';
import { nextRunAfter } from '../emulator/schedule.js';
import { discoverFunctionFiles, functionFolders, readProjectToml } from './discover.js';
import { analyse } from './project.js';

/** One line of `veloready functions list` and of serve's banner. */
export interface FunctionInfo {
  name: string;
  /** The project file (relative) or `built-in`. */
  source: string;
  kind: string;
  routes: string[];
  schedule: string | null;
  nextRun: string | null;
}

type Described = Pick<FunctionDef, 'name' | 'kind' | 'schedule' | 'source' | 'routes'>;

/** Each function with its routes (its own config.path; else the netlify.toml redirects to it and its direct path) and next run. */
export function describeFunctions(defs: readonly Described[], rules: readonly RedirectRule[], now: number): FunctionInfo[] {
  return defs.map((f) => ({
    name: f.name,
    source: f.source ?? BUILT_IN,
    kind: f.kind,
    // A function with its own config.path is served only there, as on Netlify.
    routes: f.routes?.length
      ? [...f.routes]
      : [...rules.filter((r) => r.to.replace(/\/$/, '') === `/.netlify/functions/${f.name}`).map((r) => r.from), `/.netlify/functions/${f.name}`],
    schedule: f.schedule ?? null,
    nextRun: f.schedule ? nextRunAfter(f.schedule, now).toISOString() : null,
  }));
}

export interface ListOptions {
  projectDir: string;
  functionsDir?: string;
  /** veloready's own functions (name, kind, default schedule); [] for --builtins none. */
  builtins: ReadonlyArray<{ name: string; kind: string; schedule?: string }>;
  now: number;
}

export interface Listing {
  functions: FunctionInfo[];
  warnings: string[];
  netlifyToml: string;
}

/**
 * What serve would run in `projectDir`, read without building or running anything: the project's
 * function files (kind and schedule from their config and netlify.toml) over the built-ins.
 */
export function listFunctions(opts: ListOptions): Listing {
  const { projectDir } = opts;
  const warnings: string[] = [];
  const toml = readProjectToml(projectDir);
  const found = discoverFunctionFiles(projectDir, functionFolders(projectDir, toml, opts.functionsDir));
  warnings.push(...found.warnings);
  const own: Described[] = found.files.map((file) => {
    const fn = analyse(file, toml, (w) => warnings.push(w), projectDir);
    return { name: fn.name, kind: fn.kind, ...(fn.schedule ? { schedule: fn.schedule } : {}), source: relative(projectDir, fn.file), ...(fn.config.path ? { routes: fn.config.path } : {}) };
  });
  const tomlPath = netlifyTomlPath(projectDir);
  const schedules = loadSchedules(tomlPath);
  const names = new Set(own.map((f) => f.name));
  const builtins: Described[] = opts.builtins
    .filter((b) => !names.has(b.name))
    .map((b) => {
      const schedule = scheduleFor(b, schedules);
      return { name: b.name, kind: b.kind as FunctionDef['kind'], ...(schedule ? { schedule } : {}), source: BUILT_IN };
    });
  return { functions: describeFunctions([...own, ...builtins], loadRedirects(tomlPath), opts.now), warnings, netlifyToml: tomlPath };
}
