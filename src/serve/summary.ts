import { VirtualClock } from '../clock/virtual-clock.js';
import type { RedirectRule } from '../emulator/redirects.js';
import type { FunctionDef } from '../emulator/functions.js';
import type { RunningServe } from './start.js';

export interface FunctionRow {
  name: string;
  kind: string;
  schedule?: string;
  routes: string[];
}

/** Each function with the paths that reach it (netlify.toml redirects, then the direct path). */
export function functionRows(functions: ReadonlyArray<Pick<FunctionDef, 'name' | 'kind' | 'schedule'>>, rules: readonly RedirectRule[]): FunctionRow[] {
  return functions.map((f) => ({
    name: f.name,
    kind: f.kind,
    ...(f.schedule ? { schedule: f.schedule } : {}),
    routes: [...rules.filter((r) => r.to.replace(/\/$/, '') === `/.netlify/functions/${f.name}`).map((r) => r.from), `/.netlify/functions/${f.name}`],
  }));
}

export interface ServeSummary {
  url: string;
  database: string;
  pgPort?: number;
  psql?: string;
  stravaUrl?: string;
  demoAthleteId: number;
  demoToken: string;
  curl: string;
  functions: FunctionRow[];
  /** serve's virtual clock when it is not the machine's time (serve --clock, veloready clock). */
  clock?: string;
}

export function serveSummary(s: RunningServe): ServeSummary {
  return {
    url: s.url,
    database: s.database,
    ...(s.pgPort ? { pgPort: s.pgPort, psql: `psql postgres://postgres@127.0.0.1:${s.pgPort}/postgres` } : {}),
    ...(s.fakeStrava ? { stravaUrl: `${s.url}/strava` } : {}),
    demoAthleteId: s.demo.athleteId,
    demoToken: s.demo.token,
    // The URL is quoted: zsh (macOS's shell) would otherwise glob the `?` and refuse the line.
    curl: `curl -H "Authorization: Bearer ${s.demo.token}" "${s.url}/api/activities?limit=5"`,
    functions: functionRows(s.functions.list(), s.emulator.router.rules),
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
    ...(s.stravaUrl ? [`  strava     ${s.stravaUrl} (fake)`] : []),
    `  blobs      NETLIFY_BLOBS_CONTEXT from: veloready blobs context --url ${s.url}`,
    `  supabase   ${s.url} (auth/v1, rest/v1; keys: veloready keys)`,
    ...(s.clock ? [`  clock      ${s.clock} (virtual; veloready clock)`] : []),
    firstRun ? `  first run: seeded demo athlete ${s.demoAthleteId} with a year of rides` : `  demo athlete ${s.demoAthleteId}`,
    `  token      ${s.demoToken}`,
    `  try        ${s.curl}`,
  ];
}
