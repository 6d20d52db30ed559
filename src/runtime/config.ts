import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';

/** Netlify's in-source configuration (`export const config = {...}`), the parts serve acts on. */
export interface InSourceConfig {
  schedule?: string;
  /** v2 routes: `/api/hello/:name`, `/files/*`. */
  path?: string[];
  excludedPath?: string[];
  /** Methods the routes answer (upper case); every method when absent. */
  method?: string[];
}

export interface ConfigReading {
  config: InSourceConfig;
  /** Why the config could not be read (Netlify reads it statically too: literals only). */
  warning?: string;
}

/** `export const config =`, with a TypeScript annotation (`: Config`) or not. */
const CONFIG_RE = /export\s+(?:const|let|var)\s+config\s*(?::\s*[\w$.]+(?:<[^=]*>)?\s*)?=\s*/;
// Only a literal runs here; the bound stops an endless loop hidden in one, not slow machines.
const EVAL_TIMEOUT_MS = 2000;

/**
 * Reads `export const config` from the source without running the module, as Netlify does at
 * deploy time: the object must be a literal (plain JavaScript values, in TypeScript files too).
 */
export function readInSourceConfig(file: string): ConfigReading {
  let code: string;
  try {
    code = readFileSync(file, 'utf8');
  } catch {
    return { config: {} };
  }
  const m = CONFIG_RE.exec(code);
  if (!m) return { config: {} };
  const literal = objectLiteralAt(code, m.index + m[0].length);
  if (!literal) return { config: {}, warning: 'export const config must be an object literal' };
  let raw: unknown;
  try {
    raw = runInNewContext(`(${literal})`, Object.create(null), { timeout: EVAL_TIMEOUT_MS });
  } catch (err) {
    return { config: {}, warning: `export const config could not be read statically (${(err as Error).message}); use literal values only` };
  }
  return normalise(raw);
}

function normalise(raw: unknown): ConfigReading {
  if (typeof raw !== 'object' || raw === null) return { config: {}, warning: 'export const config must be an object' };
  const r = raw as Record<string, unknown>;
  const config: InSourceConfig = {};
  const problems: string[] = [];
  if (r.schedule !== undefined) {
    if (typeof r.schedule === 'string') config.schedule = r.schedule;
    else problems.push('schedule must be a string');
  }
  for (const key of ['path', 'excludedPath'] as const) {
    const list = stringList(r[key]);
    if (list === null) problems.push(`${key} must be a string or an array of strings`);
    else if (list) {
      const bad = list.find((p) => !p.startsWith('/'));
      if (bad) problems.push(`${key} "${bad}" must start with /`);
      else config[key] = list;
    }
  }
  const methods = stringList(r.method);
  if (methods === null) problems.push('method must be a string or an array of strings');
  else if (methods) config.method = methods.map((m) => m.toUpperCase());
  return problems.length ? { config, warning: `export const config: ${problems.join('; ')}` } : { config };
}

/** undefined when absent, null when of the wrong type. */
function stringList(v: unknown): string[] | undefined | null {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return null;
}

/** The text of the `{...}` starting at `start`, braces balanced outside strings and comments. */
function objectLiteralAt(code: string, start: number): string | undefined {
  if (code[start] !== '{') return undefined;
  let depth = 0;
  let quote: string | null = null;
  for (let i = start; i < code.length; i++) {
    const c = code[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '/' && code[i + 1] === '/') i = code.indexOf('\n', i) < 0 ? code.length : code.indexOf('\n', i);
    else if (c === '/' && code[i + 1] === '*') i = code.indexOf('*/', i + 2) + 1 || code.length;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return code.slice(start, i + 1);
  }
  return undefined;
}
