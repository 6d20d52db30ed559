import type { Blobs } from '../blobs/store.js';
import type { Clock } from '../clock.js';
import type { AdminGuard } from '../control/admin-guard.js';
import type { ResolvedMigrationsDir } from '../db/migrations-dir.js';
import type { ServeMigration } from '../db/serve-migrate.js';
import type { Sql } from '../db/sql.js';
import type { FunctionRegistry } from '../emulator/functions.js';
import type { RequestLog } from '../emulator/request-log.js';
import type { Scheduler } from '../emulator/scheduler.js';
import type { Emulator } from '../emulator/server.js';
import type { Budget } from '../ratelimit/limiter.js';
import type { ProjectRuntime } from '../runtime/project.js';
import type { SeedProgress, SeedResult } from '../seed/seed.js';
import type { FakeStrava } from '../strava/fake-server.js';

/** What `veloready serve` takes, and what a started serve holds. */

export const DEFAULT_PG_PORT = 54322;
export const FAKE_STRAVA_PREFIX = '/strava';
export const DEMO_TOKEN_TTL_S = 24 * 3600;

export interface ServeOptions {
  dataDir: string;
  cwd?: string;
  port?: number;
  host?: string;
  /** A Postgres server instead of the embedded database. */
  dbUrl?: string;
  /** Port of the Postgres wire-protocol socket on the embedded database; 0 = any free port. */
  pgPort?: number;
  jwtSecret: string;
  /** The migrations folder (default: the one every db command resolves from `cwd`). */
  migrations?: ResolvedMigrationsDir;
  /** Delete local state (embedded database, blobs) before starting. */
  reset?: boolean;
  /** A Postgres socket client idle inside a transaction this long is rolled back and disconnected (default 10 s). */
  idleInTransactionMs?: number;
  /** Load pgTAP into the embedded database, for `db test-rls` with pgTAP files while serve runs. */
  pgtap?: boolean;
  /** Seed this many generated athletes besides the demo athlete. */
  seedAthletes?: number;
  /** PRNG seed of the fake data. */
  seed?: string;
  /** Real Strava (or another Strava-compatible API) instead of the mounted fake. */
  stravaUrl?: string;
  stravaClientId?: string;
  stravaClientSecret?: string;
  stravaVerifyToken?: string;
  /** The push subscription id webhook deliveries must carry (default: the fake Strava's). */
  stravaSubscriptionId?: number;
  openaiApiKey?: string;
  openaiBaseUrl?: string;
  deepLink?: string;
  syncTimeoutMs?: number;
  /** The project's function folder (`serve --functions`), instead of netlify.toml's or netlify/functions. */
  functionsDir?: string;
  /** `none`: serve only the project's functions, no built-ins. */
  builtins?: 'all' | 'none';
  /** Let project functions reach any external host (default: only serve's own fakes). */
  online?: boolean;
  /** Project environment names whose value is kept over serve's local one (`--use-env`). */
  useEnv?: string[];
  /** Reload project functions when their files change (default on). */
  watch?: boolean;
  /** Budgets of the rate limits: login endpoints (default DEFAULT_LOGIN_BUDGET), /api/* reads per user (only when set: --rate-limit). */
  rateLimits?: { login?: Budget; api?: Budget };
  /** Run scheduled functions on their cron schedule (tests turn it off and trigger them). */
  schedule?: boolean;
  clock?: Clock;
  /** `--clock`: start serve's virtual clock at this time (ISO, `+3d`, `-2h`, `now`). */
  clockStart?: string;
  /** `--import`: load this snapshot file into the data dir before starting. */
  importSnapshot?: string;
  /** `--export-on-exit`: save a snapshot to this file when serve stops. */
  exportOnExit?: string;
  log?: RequestLog;
  /** The browser inspector at /_/ (on unless false: `--no-inspector`). */
  inspector?: boolean;
  onSeedProgress?: (p: SeedProgress) => void;
}

export interface RunningServe {
  url: string;
  /** Embedded database over the Postgres protocol (undefined with --db-url). */
  pgPort?: number;
  database: string;
  emulator: Emulator;
  functions: FunctionRegistry;
  /** The project's own functions (discovery, builds, pools, reload). */
  project: ProjectRuntime;
  /** Project environment values serve replaced with its local ones. */
  envReplaced: Array<{ name: string; projectValue: string }>;
  scheduler: Scheduler;
  log: RequestLog;
  sql: Sql;
  /** serve's one clock (a VirtualClock unless a test passed its own). */
  clock: Clock;
  /** The per-run token of the admin API (`x-veloready-token`), also in serve.json. */
  adminToken: string;
  /** The local blob cache (what the Netlify Blobs API and the functions use). */
  blobs: Blobs;
  /** The bearer token the Netlify Blobs API requires: the data dir's own. */
  blobsToken: string;
  fakeStrava?: FakeStrava;
  demo: { athleteId: number; token: string };
  firstRun: boolean;
  /** The folder migrated with, what ran, and where the history disagrees with it. */
  migration: ServeMigration;
  seeded?: SeedResult;
  resumedBackfills: string[];
  /** Guards the admin surfaces under /_/; its per-run token is in serve.json. */
  adminGuard: AdminGuard;
  /** The inspector's address, unless --no-inspector. */
  inspectorUrl?: string;
  close(deadlineMs?: number): Promise<void>;
}

