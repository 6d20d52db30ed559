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
  /** The fake Strava's consent page, ready to open: it ends at this serve's OAuth callback. */
  consentUrl?: string;
  stravaClientId?: string;
  demoAthleteId: number;
  demoToken: string;
  curl: string;
  functions: FunctionRow[];
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
    demoAthleteId: s.demo.athleteId,
    demoToken: s.demo.token,
    // The URL is quoted: zsh (macOS's shell) would otherwise glob the `?` and refuse the line.
    // A path this serve answers: the project's netlify.toml may not route /api/activities.
    curl: `curl -H "Authorization: Bearer ${s.demo.token}" "${s.url}${usableRoute(functions, 'api-activities')}?limit=5"`,
    functions,
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
    firstRun ? `  first run: seeded demo athlete ${s.demoAthleteId} with a year of rides` : `  demo athlete ${s.demoAthleteId}`,
    `  token      ${s.demoToken}`,
    `  try        ${s.curl}`,
  ];
}
