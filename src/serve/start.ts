import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mintAccessToken } from '../auth/jwt.js';
import { BLOBS_FILE } from '../blobs/target.js';
import { LOCAL_BLOBS_TOKEN, LOCAL_SITE_ID } from '../blobs/context.js';
import { createBlobsHandler } from '../blobs/server.js';
import { openSqliteBlobs } from '../blobs/sqlite.js';
import type { Blobs } from '../blobs/store.js';
import { systemClock, type Clock } from '../clock.js';
import { migrate } from '../db/migrate.js';
import { pgliteDir } from '../db/paths.js';
import { liveServeInfo } from '../db/serve-info.js';
import type { Sql } from '../db/sql.js';
import { selectAi } from '../ai/select.js';
import { createOpenAiEndpoint, OPENAI_ENDPOINT_PREFIX } from '../ai/openai-endpoint.js';
import { createEmulator, type Emulator, type Mount } from '../emulator/server.js';
import { createFunctionRegistry, type FunctionRegistry } from '../emulator/functions.js';
import { loadRedirects, loadSchedules, netlifyTomlPath, scheduleFor } from '../emulator/redirects.js';
import { createRequestLog, type RequestLog } from '../emulator/request-log.js';
import { createScheduler, type Scheduler } from '../emulator/scheduler.js';
import { VeloError } from '../errors.js';
import { FUNCTIONS, createRateLimitHub, resumeInterruptedBackfills, type FunctionDeps } from '../functions/index.js';
import { DEFAULT_DEEP_LINK } from '../functions/deps.js';
import { getBackfillJob } from '../functions/lib/backfill-job.js';
import type { AuthHandlerOptions } from '../supabase/gotrue-context.js';
import { createSupabaseHandler } from '../supabase/handler.js';
import { createStravaClient } from '../strava/client.js';
import { createAthleteDirectory } from '../strava/fake-athletes.js';
import { createFakeStrava, type FakeStrava } from '../strava/fake-server.js';
import { connectAthletesToFakeStrava, DEMO_ATHLETE_ID, ensureDemoData } from './demo-data.js';
import { blobsMounts } from './blobs-mounts.js';
import { removeServeInfo, writeServeInfo } from './serve-info.js';
import type { DbThread } from './db-thread.js';
import { delegateStrava } from './strava-delegate.js';
import type { SeedProgress, SeedResult } from '../seed/seed.js';

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
  openaiApiKey?: string;
  openaiBaseUrl?: string;
  deepLink?: string;
  syncTimeoutMs?: number;
  /** Run scheduled functions on their cron schedule (tests turn it off and trigger them). */
  schedule?: boolean;
  clock?: Clock;
  log?: RequestLog;
  onSeedProgress?: (p: SeedProgress) => void;
}

export interface RunningServe {
  url: string;
  /** Embedded database over the Postgres protocol (undefined with --db-url). */
  pgPort?: number;
  database: string;
  emulator: Emulator;
  functions: FunctionRegistry;
  scheduler: Scheduler;
  log: RequestLog;
  sql: Sql;
  /** The local blob cache (what the Netlify Blobs API and the functions use). */
  blobs: Blobs;
  fakeStrava?: FakeStrava;
  demo: { athleteId: number; token: string };
  firstRun: boolean;
  seeded?: SeedResult;
  resumedBackfills: string[];
  close(deadlineMs?: number): Promise<void>;
}

/** One serve per data dir, whatever its database: they would share blobs.sqlite and serve.json. */
function refuseSecondServe(dataDir: string): void {
  const running = liveServeInfo(dataDir);
  if (running) {
    throw new VeloError(
      'SERVE_ALREADY_RUNNING',
      `veloready serve is already running for ${dataDir} (pid ${running.pid}${running.url ? `, ${String(running.url)}` : ''})`,
      'stop it first, or use another --data-dir',
    );
  }
}

/** Everything `veloready serve` runs, wired together; resolves once it is listening. */
export async function startServe(opts: ServeOptions): Promise<RunningServe> {
  const clock = opts.clock ?? systemClock;
  const dataDir = resolve(opts.cwd ?? process.cwd(), opts.dataDir);
  const cleanups: Array<() => Promise<void> | void> = [];
  const closeAll = async () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {
        /* keep closing the rest */
      }
    }
  };

  try {
    refuseSecondServe(dataDir);
    if (opts.reset) {
      // A server's seeded rows are deleted once it is open (below); the blobs are local either way.
      if (!opts.dbUrl) rmSync(pgliteDir(dataDir), { recursive: true, force: true });
      for (const f of [BLOBS_FILE, `${BLOBS_FILE}-wal`, `${BLOBS_FILE}-shm`]) rmSync(join(dataDir, f), { force: true });
    }
    mkdirSync(dataDir, { recursive: true });

    const log = opts.log ?? createRequestLog();
    // Database: the embedded one on its own thread with the Postgres socket, or a server.
    let db: DbThread | undefined;
    let sql: Sql;
    if (opts.dbUrl) {
      const { openPg } = await import('../db/pg.js');
      sql = await openPg(opts.dbUrl);
    } else {
      const { startDbThread } = await import('./db-thread.js');
      db = await startDbThread({
        dataDir,
        pgtap: opts.pgtap ?? false,
        pgPort: opts.pgPort ?? DEFAULT_PG_PORT,
        ...(opts.idleInTransactionMs !== undefined ? { idleInTransactionMs: opts.idleInTransactionMs } : {}),
        // One line, no stack: these are events of the database, not failures of serve's code.
        onEvent: (e) => log.error({ time: new Date(clock.now()).toISOString(), requestId: '-', function: null, status: 0, error: `${e.code}: ${e.message}` }),
      });
      sql = db.sql;
    }
    cleanups.push(() => sql.close());
    const firstRun = !(await sql.query(`select to_regclass('public.athletes') is not null as ok`)).rows[0]?.ok;
    await migrate(sql);
    if (opts.reset && opts.dbUrl) {
      const { deleteSeeded } = await import('../seed/seed.js');
      await sql.transaction((tx) => deleteSeeded(tx));
    }

    const blobs = openSqliteBlobs({ path: join(dataDir, BLOBS_FILE), clock, backgroundCheckpoints: true });
    cleanups.push(() => blobs.close());
    // A handler's unexpected failure (answered 500 INTERNAL "see the server log") lands in the request log, redacted.
    const logHandlerError = (line: Record<string, unknown>): void =>
      log.error({
        time: new Date(clock.now()).toISOString(),
        requestId: typeof line['requestId'] === 'string' ? line['requestId'] : '-',
        function: typeof line['function'] === 'string' ? line['function'] : null,
        status: 500,
        error: line['error'] ?? line['message'],
      });

    // Strava: the fake one mounted under /strava, or a real API through the rate-limited client.
    const seed = opts.seed ?? '42';
    const strava = delegateStrava();
    const rateLimits = createRateLimitHub();
    const fakeStrava = opts.stravaUrl
      ? undefined
      : createFakeStrava({ athletes: createAthleteDirectory({ seed, count: 0, ids: [DEMO_ATHLETE_ID] }), clock, basePath: FAKE_STRAVA_PREFIX });

    const deps: FunctionDeps = {
      sql,
      blobs,
      strava,
      ai: selectAi({ openAiApiKey: opts.openaiApiKey, openAiBaseUrl: opts.openaiBaseUrl, clock }),
      clock,
      secrets: { jwtSecret: opts.jwtSecret, stravaVerifyToken: opts.stravaVerifyToken ?? 'veloready-local' },
      config: { deepLink: opts.deepLink ?? DEFAULT_DEEP_LINK },
      rateLimits,
      log: logHandlerError,
    };
    // Routes and the schedules of scheduled functions come from the project's netlify.toml (else the default one).
    const tomlPath = netlifyTomlPath(opts.cwd ?? process.cwd());
    const schedules = loadSchedules(tomlPath);
    const functions = createFunctionRegistry(
      FUNCTIONS.map((f) => {
        const schedule = scheduleFor(f, schedules);
        return { name: f.name, kind: f.kind, ...(schedule ? { schedule } : {}), handler: f.create(deps) };
      }),
    );

    // One options object for both Supabase mounts: its issuer is set once the port is known.
    const supabase: AuthHandlerOptions = { sql, secret: opts.jwtSecret, clock };
    const mounts: Mount[] = [
      ...blobsMounts(createBlobsHandler({ blobs, token: LOCAL_BLOBS_TOKEN, siteID: LOCAL_SITE_ID }), LOCAL_SITE_ID),
      { prefix: '/auth/v1/', handler: createSupabaseHandler(supabase) },
      { prefix: '/rest/v1/', handler: createSupabaseHandler(supabase) },
      ...(fakeStrava ? [{ prefix: `${FAKE_STRAVA_PREFIX}/`, handler: fakeStrava }] : []),
      { prefix: `${OPENAI_ENDPOINT_PREFIX}/v1/`, handler: createOpenAiEndpoint({ clock }) },
    ];
    const emulator = createEmulator({
      functions,
      redirects: loadRedirects(tomlPath),
      mounts,
      clock,
      log,
      limits: opts.syncTimeoutMs ? { syncTimeoutMs: opts.syncTimeoutMs } : {},
      ...(db ? { timeoutNote: db.waitNote } : {}),
      jobLookup: async (id) => (/^[0-9a-f-]{36}$/i.test(id) ? ((await getBackfillJob(sql, id)) ?? undefined) : undefined),
    });
    const listening = await emulator.listen(opts.port ?? 8888, opts.host ?? '127.0.0.1');
    // Tokens the functions mint name this site as their issuer, as the demo token does.
    deps.config.issuer = `${listening.url}/auth/v1`;
    supabase.issuer = deps.config.issuer;
    cleanups.push(async () => void (await emulator.close()));

    strava.set(
      createStravaClient({
        baseUrl: opts.stravaUrl ?? `${listening.url}${FAKE_STRAVA_PREFIX}`,
        clientId: opts.stravaClientId ?? fakeStrava?.clientId ?? '',
        clientSecret: opts.stravaClientSecret ?? fakeStrava?.clientSecret ?? '',
        clock,
        onRateLimit: rateLimits.emit,
      }),
    );

    // The embedded database over the wire protocol (served from its thread), for psql and every other veloready command.
    const pgPort = db?.pgPort;

    const seeded = await ensureDemoData(sql, {
      seed,
      clock,
      ...(opts.seedAthletes ? { extraAthletes: opts.seedAthletes } : {}),
      ...(opts.onSeedProgress ? { onProgress: opts.onSeedProgress } : {}),
    });
    if (fakeStrava) await connectAthletesToFakeStrava(sql, fakeStrava);

    writeServeInfo(dataDir, {
      pid: process.pid,
      // Only the embedded database has a socket; on a server (--db-url) other commands resolve their own.
      ...(pgPort !== undefined ? { pgPort } : {}),
      url: listening.url,
      startedAt: new Date(clock.now()).toISOString(),
      database: sql.target.label,
    });
    cleanups.push(() => removeServeInfo(dataDir));

    // Jobs a killed process left behind run outside the emulator's job runner: on close they are
    // told to stop at their next checkpoint and awaited before the databases close.
    const resumeAbort = new AbortController();
    const resumed = await resumeInterruptedBackfills(deps, { signal: resumeAbort.signal });
    const resumedDone = resumed.finished.catch(() => undefined);
    cleanups.push(async () => {
      resumeAbort.abort();
      await resumedDone;
    });
    const scheduler = createScheduler({ functions, invoker: emulator.invoker, clock });
    if (opts.schedule !== false) scheduler.start();
    cleanups.push(() => scheduler.stop());

    const demo = {
      athleteId: DEMO_ATHLETE_ID,
      token: mintAccessToken({ secret: opts.jwtSecret, clock, athleteId: DEMO_ATHLETE_ID, ttlSeconds: DEMO_TOKEN_TTL_S, issuer: deps.config.issuer }).token,
    };

    let closing: Promise<void> | undefined;
    return {
      url: listening.url,
      ...(pgPort !== undefined ? { pgPort } : {}),
      database: sql.target.label,
      emulator,
      functions,
      scheduler,
      log,
      sql,
      blobs,
      ...(fakeStrava ? { fakeStrava } : {}),
      demo,
      firstRun,
      ...(seeded ? { seeded } : {}),
      resumedBackfills: resumed.jobIds,
      close: (deadlineMs?: number) => {
        // No new scheduled runs and resumed backfills checkpoint, while the emulator drains its
        // requests and jobs; then the stores under them close.
        closing ??= (async () => {
          resumeAbort.abort();
          await Promise.all([scheduler.stop(), emulator.close(deadlineMs)]);
          await closeAll();
        })();
        return closing;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
