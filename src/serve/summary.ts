import { VirtualClock } from '../clock/virtual-clock.js';
import type { RedirectRule } from '../emulator/redirects.js';
import { BUILT_IN, type FunctionDef } from '../emulator/functions.js';
import type { RunningServe } from './start.js';

export interface FunctionRow {
  name: string;
  /** A project file (relative path) or `built-in`. */
  source: string;
  kind: string;
  schedule?: string;
  routes: string[];
}

/** Each function with the paths that reach it (netlify.toml redirects, then the direct path). */
export function functionRows(functions: ReadonlyArray<Pick<FunctionDef, 'name' | 'kind' | 'schedule' | 'source' | 'routes'>>, rules: readonly RedirectRule[]): FunctionRow[] {
  return functions.map((f) => ({
    name: f.name,
    source: f.source ?? BUILT_IN,
    kind: f.kind,
    ...(f.schedule ? { schedule: f.schedule } : {}),
    routes: [...(f.routes ?? []), ...rules.filter((r) => r.to.replace(/\/$/, '') === `/.netlify/functions/${f.name}`).map((r) => r.from), `/.netlify/functions/${f.name}`],
  }));
}

/** The first path that reaches the function as it is (no `:param` or `*` to fill in). */
export function usableRoute(rows: readonly FunctionRow[], name: string): string {
  const row = rows.find((r) => r.name === name);
  return row?.routes.find((r) => !/[:*]/.test(r)) ?? `/.netlify/functions/${name}`;
}

/** Scopes the consent URL asks for: what backfill and the activity routes need. */
const CONSENT_SCOPE = 'read,activity:read_all';

export interface ServeSummary {
  url: string;
  database: string;
  pgPort?: number;
  psql?: string;
  stravaUrl?: string;
  inspector?: string;
  /** The fake Strava's consent page, ready to open: it ends at this serve's OAuth callback. */
  consentUrl?: string;
  stravaClientId?: string;
  demoAthleteId: number;
  demoToken: string;
  curl: string;
  functions: FunctionRow[];
  /** Startup warnings about the project's functions. */
  functionWarnings?: string[];
  /** Project environment values serve replaced with its local ones (names only: values may be secrets). */
  envReplaced?: string[];
  /** Athletes `--seed` left out: their id or user is held by another row. */
  skippedAthletes?: number[];
  /** serve's virtual clock when it is not the machine's time (serve --clock, veloready clock). */
  clock?: string;
}

export function serveSummary(s: RunningServe): ServeSummary {
  const functions = functionRows(s.functions.list(), s.emulator.router.rules);
  const consent = (fake: NonNullable<RunningServe['fakeStrava']>): string => {
    const q = new URLSearchParams({ client_id: fake.clientId, response_type: 'code', redirect_uri: `${s.url}${usableRoute(functions, 'oauth-strava-token-exchange')}`, scope: CONSENT_SCOPE });
    return `${s.url}/strava/oauth/authorize?${q}`;
  };
  return {
    url: s.url,
    database: s.database,
    ...(s.pgPort ? { pgPort: s.pgPort, psql: `psql postgres://postgres@127.0.0.1:${s.pgPort}/postgres` } : {}),
    ...(s.fakeStrava ? { stravaUrl: `${s.url}/strava`, stravaClientId: s.fakeStrava.clientId, consentUrl: consent(s.fakeStrava) } : {}),
    ...(s.inspectorUrl ? { inspector: s.inspectorUrl } : {}),
    demoAthleteId: s.demo.athleteId,
    demoToken: s.demo.token,
    // The URL is quoted: zsh (macOS's shell) would otherwise glob the `?` and refuse the line.
    // A path this serve answers: the project's netlify.toml may not route /api/activities.
    curl: `curl -H "Authorization: Bearer ${s.demo.token}" "${s.url}${usableRoute(functions, 'api-activities')}?limit=5"`,
    functions,
    functionWarnings: [...s.project.warnings],
    envReplaced: s.envReplaced.map((r) => r.name),
    ...(s.seeded?.skippedAthletes.length ? { skippedAthletes: s.seeded.skippedAthletes } : {}),
    ...(s.clock instanceof VirtualClock && !s.clock.isReal ? { clock: `${s.clock.state().now}${s.clock.frozen ? ' (frozen)' : ''}` } : {}),
  };
}

/**
 * What serve prints once at start: where everything is, the first-run note, a ready token and a
 * curl line. Each line is printed whole (never wrapped), so the token and curl line copy intact.
 */
export function bannerLines(s: ServeSummary, firstRun: boolean): string[] {
  return [
    `veloready serve: ${s.url}`,
    `  database   ${s.database}${s.psql ? `  (${s.psql})` : ''}`,
    ...(s.stravaUrl ? [`  strava     ${s.stravaUrl} (fake; client_id ${s.stravaClientId})`] : []),
    ...(s.consentUrl ? [`  connect    ${s.consentUrl}`] : []),
    `  blobs      NETLIFY_BLOBS_CONTEXT from: veloready blobs context --url ${s.url}`,
    `  supabase   ${s.url} (auth/v1, rest/v1; keys: veloready keys)`,
    ...(s.inspector ? [`  inspector  ${s.inspector}`] : []),
    ...(s.clock ? [`  clock      ${s.clock} (virtual; veloready clock)`] : []),
    firstRun ? `  first run: seeded demo athlete ${s.demoAthleteId} with a year of rides` : `  demo athlete ${s.demoAthleteId}`,
    ...projectLines(s),
    ...(s.skippedAthletes ? [`  skipped    athlete(s) ${s.skippedAthletes.join(', ')} not seeded: id or user held by another row`] : []),
    `  token      ${s.demoToken}`,
    `  try        ${s.curl}`,
  ];
}

/** The project's own functions (one line each), what serve replaced in their environment, and warnings. */
function projectLines(s: ServeSummary): string[] {
  const own = s.functions.filter((f) => (f.source ?? BUILT_IN) !== BUILT_IN);
  const warnings = s.functionWarnings ?? [];
  const replaced = s.envReplaced ?? [];
  if (own.length === 0 && warnings.length === 0) return [];
  const builtins = s.functions.length - own.length;
  const width = Math.max(...own.map((f) => f.name.length), 0);
  return [
    `  functions  ${own.length} from the project, ${builtins} built-in (veloready functions list)`,
    ...own.map((f) => `    ${f.name.padEnd(width)}  ${f.kind.padEnd(10)} ${f.source}  ${f.schedule ?? f.routes[0]}`),
    ...(replaced.length ? [`  env        serve's local values replace the project's ${replaced.join(', ')} (keep one with --use-env NAME)`] : []),
    ...warnings.map((w) => `  warning    ${w}`),
  ];
}
