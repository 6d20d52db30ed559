import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { VeloError } from '../errors.js';
import { nextRunAfter } from './schedule.js';

/** One `[[redirects]]` rule of a netlify.toml. */
export interface RedirectRule {
  from: string;
  to: string;
  status: number;
  force: boolean;
  /** Query conditions: `{ id = ":id" }` requires `?id=` and binds `:id`. */
  query?: Record<string, string>;
}

export type RouteMatch =
  | {
      kind: 'function';
      functionName: string;
      params: Record<string, string>;
      /** Matched by the function's own `config.path` (not `/.netlify/functions/<name>` or a redirect to it). */
      ownPath?: true;
    }
  | { kind: 'redirect'; status: number; location: string }
  | { kind: 'rewrite'; path: string; params: Record<string, string> };

export interface Router {
  /**
   * Matches a request path (no query) against direct function paths, then the rules in order.
   * `method` (upper case) is the request's: a route limited to other methods does not match it.
   */
  match(path: string, query?: Record<string, string>, method?: string): RouteMatch | null;
  readonly rules: readonly RedirectRule[];
}

export const FUNCTIONS_PREFIX = '/.netlify/functions/';
const DEFAULT_STATUS = 301;
const SPLAT = 'splat';
const NETLIFY_TOML = 'netlify.toml';

/** Parses the `[[redirects]]` of a netlify.toml; `source` names the file in errors. */
export function parseRedirects(text: string, source = NETLIFY_TOML): RedirectRule[] {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw invalid(source, (err as Error).message.split('\n')[0] ?? 'parse error');
  }
  const raw = doc.redirects;
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw invalid(source, '"redirects" must be an array of tables ([[redirects]])');
  return raw.map((r, i) => toRule(r, `${source} [[redirects]] #${i + 1}`));
}

/** Schedules declared as `[functions."name"] schedule = "..."`, by function name. */
export function parseSchedules(text: string, source = NETLIFY_TOML): Record<string, string> {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw invalid(source, (err as Error).message.split('\n')[0] ?? 'parse error');
  }
  const out: Record<string, string> = {};
  const fns = doc.functions;
  if (fns && typeof fns === 'object') {
    for (const [name, cfg] of Object.entries(fns as Record<string, unknown>)) {
      const schedule = (cfg as { schedule?: unknown } | null)?.schedule;
      if (typeof schedule === 'string') out[name] = schedule;
    }
  }
  return out;
}

/** A scheduled function's cron: netlify.toml's `[functions."name"] schedule`, else its built-in one. */
export function scheduleFor(fn: { name: string; kind: string; schedule?: string }, schedules: Readonly<Record<string, string>>): string | undefined {
  return fn.kind === 'scheduled' ? (schedules[fn.name] ?? fn.schedule) : undefined;
}

export function loadRedirects(path: string): RedirectRule[] {
  return parseRedirects(readNetlifyToml(path), path);
}

/** The `[functions."name"] schedule` entries of a netlify.toml file, each checked to be a valid cron. */
export function loadSchedules(path: string): Record<string, string> {
  const schedules = parseSchedules(readNetlifyToml(path), path);
  for (const [name, schedule] of Object.entries(schedules)) {
    try {
      nextRunAfter(schedule, 0);
    } catch (err) {
      throw invalid(`${path} [functions."${name}"]`, `schedule "${schedule}" is not a cron expression: ${(err as Error).message}`);
    }
  }
  return schedules;
}

function readNetlifyToml(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new VeloError('NETLIFY_TOML_UNREADABLE', `cannot read ${path}: ${(err as Error).message}`);
  }
}

/** The project's own netlify.toml in `cwd` when present, else the default one shipped in fixtures/. */
export function netlifyTomlPath(cwd = process.cwd()): string {
  const own = resolve(cwd, NETLIFY_TOML);
  return existsSync(own) ? own : defaultNetlifyTomlPath();
}

/** fixtures/netlify.toml of this package, from src/ (tests) or dist/src/ (built). */
export function defaultNetlifyTomlPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'fixtures', NETLIFY_TOML);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new VeloError('NETLIFY_TOML_MISSING', 'the default fixtures/netlify.toml is missing from the veloready package');
}

interface CompiledRule {
  rule: RedirectRule;
  /** Segments of `from`; ':name' binds one segment, '*' (last) binds the rest as splat. */
  segments: string[];
  splat: boolean;
  queryBindings: Array<[param: string, placeholder: string | null, literal: string | null]>;
}

/** Paths whose route is remembered (when no rule looks at the query, the path alone decides). */
const MEMO_PATHS = 1024;

/** Compiles rules once; match() then splits the path once and compares segments. */
export function createRouter(rules: readonly RedirectRule[]): Router {
  const compiled = rules.map(compile);
  const memo = new Map<string, RouteMatch | null>();
  const routeOf = (path: string, query?: Record<string, string>): RouteMatch | null => {
    const direct = directFunction(path);
    if (direct) return { kind: 'function', functionName: direct, params: {} };
    const segs = splitPath(path);
    for (const c of compiled) {
      const params = matchRule(c, segs, query);
      if (!params) continue;
      const target = substitute(c.rule.to, params);
      if (c.rule.status >= 300 && c.rule.status < 400) return { kind: 'redirect', status: c.rule.status, location: target };
      const fn = directFunction(target.split('?')[0]!);
      if (fn) return { kind: 'function', functionName: fn, params };
      return { kind: 'rewrite', path: target, params };
    }
    return null;
  };
  return {
    rules,
    match(path, query) {
      if (query) return routeOf(path, query);
      let route = memo.get(path);
      if (route === undefined) {
        route = deepFreeze(routeOf(path));
        if (memo.size >= MEMO_PATHS) memo.clear();
        memo.set(path, route);
      }
      return route;
    },
  };
}

/** Remembered routes are shared between requests: nobody may change them. */
function deepFreeze(route: RouteMatch | null): RouteMatch | null {
  if (route && 'params' in route) Object.freeze(route.params);
  return route && Object.freeze(route);
}

function directFunction(path: string): string | null {
  if (!path.startsWith(FUNCTIONS_PREFIX)) return null;
  let name = path.slice(FUNCTIONS_PREFIX.length);
  if (name.endsWith('/')) name = name.slice(0, -1);
  return name && !name.includes('/') ? name : null;
}

function splitPath(path: string): string[] {
  const segs = path.split('/');
  // '/a/b/' → ['', 'a', 'b', ''] → ['a', 'b']
  let start = 0;
  let end = segs.length;
  if (segs[0] === '') start = 1;
  if (end > start && segs[end - 1] === '') end -= 1;
  return start === 0 && end === segs.length ? segs : segs.slice(start, end);
}

function compile(rule: RedirectRule): CompiledRule {
  const segments = splitPath(rule.from);
  const splat = segments[segments.length - 1] === '*';
  if (splat) segments.pop();
  const queryBindings = Object.entries(rule.query ?? {}).map(([param, value]): [string, string | null, string | null] =>
    value.startsWith(':') ? [param, value.slice(1), null] : [param, null, value],
  );
  return { rule, segments, splat, queryBindings };
}

function matchRule(c: CompiledRule, segs: string[], query?: Record<string, string>): Record<string, string> | null {
  if (c.splat ? segs.length < c.segments.length : segs.length !== c.segments.length) return null;
  let params: Record<string, string> | null = null;
  for (let i = 0; i < c.segments.length; i++) {
    const want = c.segments[i]!;
    const got = segs[i]!;
    if (want.charCodeAt(0) === 58 /* ':' */) {
      if (!got) return null;
      (params ??= {})[want.slice(1)] = decodeSegment(got);
    } else if (want !== got) {
      return null;
    }
  }
  if (c.splat) (params ??= {})[SPLAT] = segs.slice(c.segments.length).join('/');
  for (const [param, placeholder, literal] of c.queryBindings) {
    const value = query?.[param];
    if (value === undefined) return null;
    if (literal !== null && value !== literal) return null;
    if (placeholder) (params ??= {})[placeholder] = value;
  }
  return params ?? {};
}

function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

function substitute(to: string, params: Record<string, string>): string {
  if (!to.includes(':')) return to;
  return to.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string) =>
    params[name] !== undefined ? encodeURI(params[name]!) : whole,
  );
}

function toRule(raw: unknown, where: string): RedirectRule {
  if (!raw || typeof raw !== 'object') throw invalid(where, 'must be a table');
  const r = raw as Record<string, unknown>;
  if (typeof r.from !== 'string' || !r.from.startsWith('/')) throw invalid(where, '"from" must be a path starting with /');
  if (typeof r.to !== 'string' || !r.to) throw invalid(where, '"to" is required');
  const status = r.status === undefined ? DEFAULT_STATUS : r.status;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    throw invalid(where, '"status" must be an HTTP status code');
  }
  if (r.force !== undefined && typeof r.force !== 'boolean') throw invalid(where, '"force" must be true or false');
  let query: Record<string, string> | undefined;
  if (r.query !== undefined) {
    if (!r.query || typeof r.query !== 'object' || Array.isArray(r.query)) throw invalid(where, '"query" must be a table');
    query = {};
    for (const [k, v] of Object.entries(r.query as Record<string, unknown>)) {
      if (typeof v !== 'string') throw invalid(where, `query "${k}" must be a string`);
      query[k] = v;
    }
  }
  const from = r.from.includes('*') && !r.from.endsWith('/*') && r.from !== '*' ? null : r.from;
  if (from === null) throw invalid(where, '"*" is only allowed as the last segment of "from"');
  return { from, to: r.to, status, force: r.force === true, ...(query ? { query } : {}) };
}

const invalid = (where: string, why: string): VeloError =>
  new VeloError('INVALID_NETLIFY_TOML', `${where}: ${why}`, 'see https://docs.netlify.com/routing/redirects/');
