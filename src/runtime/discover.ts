import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { VeloError } from '../errors.js';

/** The extensions Netlify takes as a function's entry file. */
export const FUNCTION_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'] as const;
const NETLIFY_TOML = 'netlify.toml';
const DEFAULT_FUNCTIONS_DIR = 'netlify/functions';
/** The seed's folders (reference section 1), read beside the functions directory when present. */
export const BACKGROUND_DIR = 'netlify/functions-background';
export const SCHEDULED_DIR = 'netlify/functions-scheduled';
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export type FunctionFolder = 'functions' | 'background' | 'scheduled';

/** One function file found in the project. */
export interface FunctionFile {
  name: string;
  /** Absolute path of its entry file. */
  file: string;
  folder: FunctionFolder;
}

/** What the project's netlify.toml says about functions. */
export interface ProjectToml {
  /** Absolute path, or undefined when the project has none. */
  path?: string;
  /** `[functions] directory`, else `[build] functions` (relative to the project). */
  functionsDir?: string;
  /** `[functions."name"] schedule`. */
  schedules: Record<string, string>;
}

export function readProjectToml(projectDir: string): ProjectToml {
  const path = resolve(projectDir, NETLIFY_TOML);
  if (!existsSync(path)) return { schedules: {} };
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new VeloError('INVALID_NETLIFY_TOML', `${path}: ${((err as Error).message.split('\n')[0] ?? 'parse error')}`, 'fix the file; serve reloads it on save');
  }
  const fns = isTable(doc.functions) ? doc.functions : {};
  const build = isTable(doc.build) ? doc.build : {};
  const schedules: Record<string, string> = {};
  for (const [name, cfg] of Object.entries(fns)) {
    if (isTable(cfg) && typeof cfg.schedule === 'string') schedules[name] = cfg.schedule;
  }
  const dir = typeof fns.directory === 'string' ? fns.directory : typeof build.functions === 'string' ? build.functions : undefined;
  return { path, ...(dir ? { functionsDir: dir } : {}), schedules };
}

/** The folders functions are read from, absolute: the functions directory first, then the seed's two. */
export function functionFolders(projectDir: string, toml: ProjectToml, override?: string): Array<{ dir: string; folder: FunctionFolder }> {
  const main = resolve(projectDir, override ?? toml.functionsDir ?? DEFAULT_FUNCTIONS_DIR);
  const out: Array<{ dir: string; folder: FunctionFolder }> = [{ dir: main, folder: 'functions' }];
  for (const [rel, folder] of [[BACKGROUND_DIR, 'background'], [SCHEDULED_DIR, 'scheduled']] as const) {
    const dir = resolve(projectDir, rel);
    if (dir !== main) out.push({ dir, folder });
  }
  return out;
}

export interface Discovery {
  files: FunctionFile[];
  /** Things the developer should hear about at startup (a duplicate name, an unusable file name). */
  warnings: string[];
}

/** Every function file of the project: `name.{ts,…}`, `name/index.*` or `name/name.*` in each folder. */
export function discoverFunctionFiles(projectDir: string, folders: ReadonlyArray<{ dir: string; folder: FunctionFolder }>): Discovery {
  const files: FunctionFile[] = [];
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  for (const { dir, folder } of folders) {
    if (!isDir(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const found = entryFile(dir, entry.name, entry.isDirectory());
      if (!found) continue;
      if (!NAME_RE.test(found.name)) {
        warnings.push(`${relative(projectDir, found.file)}: "${found.name}" is not a usable function name (letters, digits, - and _)`);
        continue;
      }
      const earlier = seen.get(found.name);
      if (earlier) {
        warnings.push(`${relative(projectDir, found.file)}: a function named "${found.name}" already comes from ${relative(projectDir, earlier)}; this one is ignored`);
        continue;
      }
      seen.set(found.name, found.file);
      files.push({ name: found.name, file: found.file, folder });
    }
  }
  return { files, warnings };
}

function entryFile(dir: string, entry: string, isDirectory: boolean): { name: string; file: string } | undefined {
  if (!isDirectory) {
    const ext = extname(entry);
    if (!(FUNCTION_EXTENSIONS as readonly string[]).includes(ext) || entry.endsWith('.d.ts') || entry.startsWith('.')) return undefined;
    return { name: basename(entry, ext), file: join(dir, entry) };
  }
  for (const stem of ['index', entry]) {
    for (const ext of FUNCTION_EXTENSIONS) {
      const file = join(dir, entry, `${stem}${ext}`);
      if (existsSync(file)) return { name: entry, file };
    }
  }
  return undefined;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

const isTable = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
