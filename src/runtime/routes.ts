import { createRouter, FUNCTIONS_PREFIX, type RouteMatch, type Router } from '../emulator/redirects.js';

/** A v2 function's own routes (`config.path`, `config.excludedPath`, `config.method`). */
export interface FunctionRoutes {
  functionName: string;
  paths: readonly string[];
  excludedPaths?: readonly string[];
  /** Upper case; every method when absent. */
  methods?: readonly string[];
}

interface CompiledRoutes {
  functionName: string;
  paths: Router;
  excluded?: Router;
  methods?: ReadonlySet<string>;
}

const rulesFor = (paths: readonly string[], to: string) => paths.map((from) => ({ from, to, status: 200, force: true }));

/**
 * Routes v2 functions by their `config.path` first (as Netlify does, before redirects), then hands
 * the path to the netlify.toml router. `:name` binds a segment into `context.params`; `*` as the
 * last segment matches the rest. A route is only for its `config.method`s: a request with another
 * method is not refused by it but goes on to the next route (another function's, the redirects),
 * as netlify-cli's matchURLPath does, and is a 404 where nothing else takes it.
 */
export function createProjectRouter(routes: readonly FunctionRoutes[], fallback: Router): Router {
  if (routes.length === 0) return fallback;
  const compiled: CompiledRoutes[] = routes.map((r) => ({
    functionName: r.functionName,
    paths: createRouter(rulesFor(r.paths, `${FUNCTIONS_PREFIX}${r.functionName}`)),
    ...(r.excludedPaths?.length ? { excluded: createRouter(rulesFor(r.excludedPaths, `${FUNCTIONS_PREFIX}${r.functionName}`)) } : {}),
    ...(r.methods?.length ? { methods: new Set(r.methods) } : {}),
  }));
  return {
    rules: fallback.rules,
    match(path, query, method): RouteMatch | null {
      if (!path.startsWith(FUNCTIONS_PREFIX)) {
        for (const c of compiled) {
          if (c.methods && method !== undefined && !c.methods.has(method.toUpperCase())) continue;
          const m = c.paths.match(path);
          if (m?.kind === 'function' && !c.excluded?.match(path)) return { kind: 'function', functionName: c.functionName, params: { ...m.params }, ownPath: true };
        }
      }
      return fallback.match(path, query, method);
    },
  };
}

/** A router whose routes are swapped on reload; the emulator keeps the same object. */
export function createSwitchableRouter(initial: Router): Router & { set(next: Router): void } {
  let current = initial;
  return {
    get rules() {
      return current.rules;
    },
    match: (path, query, method) => current.match(path, query, method),
    set(next) {
      current = next;
    },
  };
}
