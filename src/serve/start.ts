import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mintAccessToken } from '../auth/jwt.js';
import { loadOrCreateBlobsToken } from '../auth/secret.js';
import { createOpenAiEndpoint, OPENAI_ENDPOINT_PREFIX } from '../ai/openai-endpoint.js';
import { LOCAL_SITE_ID } from '../blobs/context.js';
import { createBlobsHandler } from '../blobs/server.js';
import { openSqliteBlobs } from '../blobs/sqlite.js';
import { BLOBS_FILE } from '../blobs/target.js';
import type { Clock } from '../clock.js';
import { createServeClock, recordClockChanges } from '../clock/serve-clock.js';
import { clockChanges, VirtualClock } from '../clock/virtual-clock.js';
import { makeDataDirPrivate } from '../config/private-dir.js';
import { createAdminGuard, isLoopbackHost } from '../control/admin-guard.js';
import { controlMounts } from '../control/serve-controls.js';
import { pgliteDir } from '../db/paths.js';
import { liveServeInfo } from '../db/serve-info.js';
import { createRequestLog, type RequestLog } from '../emulator/request-log.js';
import { createScheduler } from '../emulator/scheduler.js';
import { createEmulator, type Mount } from '../emulator/server.js';
import { VeloError } from '../errors.js';
import { FUNCTIONS, resumeInterruptedBackfills } from '../functions/index.js';
import { backfillJobRecord, getBackfillJob } from '../functions/lib/backfill-job.js';
import { isSessionRevoked } from '../functions/lib/revocations.js';
import { createInspectorMount } from '../inspector/inspector.js';
import { createRequestGate } from '../ratelimit/gate.js';
import type { LocalState } from '../snapshot/snapshot.js';
import { createStravaClient } from '../strava/client.js';
import type { AuthHandlerOptions } from '../supabase/gotrue-context.js';
import { createSupabaseHandler } from '../supabase/handler.js';
import { localKeys } from '../supabase/keys.js';
import { blobsMounts } from './blobs-mounts.js';
import { openServeDatabase } from './database.js';
import { connectAthletesToFakeStrava, DEMO_ATHLETE_ID, ensureDemoData } from './demo-data.js';
import { createServeDeps } from './function-deps.js';
import { createServeGuard } from './operator-guard.js';
import { DEFAULT_PG_PORT, DEMO_TOKEN_TTL_S, FAKE_STRAVA_PREFIX, type RunningServe, type ServeOptions } from './options.js';
import { assertPortFree } from './preflight.js';
import { removeServeInfo, writeServeInfo } from './serve-info.js';

export { DEFAULT_PG_PORT, DEMO_TOKEN_TTL_S, FAKE_STRAVA_PREFIX, type RunningServe, type ServeOptions } from './options.js';

async function snapshotState(o: import('../snapshot/states.js').LiveStateOptions): Promise<LocalState> {
  const { liveState } = await import('../snapshot/states.js');
  return liveState(o);
}

/** `--export-on-exit`: the state as serve leaves it; a failure is logged, the stop goes on. */
async function exportOnExit(state: LocalState, file: string, log: RequestLog, clock: Clock): Promise<void> {
  const time = (): string => new Date(clock.now()).toISOString();
  try {
    const { saveSnapshot } = await import('../snapshot/snapshot.js');
    const saved = await saveSnapshot(state, file);
    log.notice({ time: time(), message: `snapshot saved to ${saved.file} (${saved.bytes} bytes, ${saved.ms} ms)` });
  } catch (err) {
    log.error({ time: time(), requestId: '-', function: null, status: 500, error: err });
  }
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
  const dataDir = resolve(opts.cwd ?? process.cwd(), opts.dataDir);
  let jwtSecret = opts.jwtSecret;
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
    // Ports before the data dir: a taken one is said at once, not after migrating and seeding.
    await assertPortFree(opts.port ?? 8888, opts.host ?? '127.0.0.1', { code: 'PORT_IN_USE', flag: '--port' });
    if (!opts.dbUrl) await assertPortFree(opts.pgPort ?? DEFAULT_PG_PORT, '127.0.0.1', { code: 'PG_PORT_IN_USE', flag: '--pg-port' });
    if (opts.reset) {
      // A server's seeded rows are deleted once it is open (below); the blobs are local either way.
      if (!opts.dbUrl) rmSync(pgliteDir(dataDir), { recursive: true, force: true });
      for (const f of [BLOBS_FILE, `${BLOBS_FILE}-wal`, `${BLOBS_FILE}-shm`]) rmSync(join(dataDir, f), { force: true });
    }
    makeDataDirPrivate(dataDir);
    if (opts.importSnapshot) {
      const { importBeforeServe } = await import('../snapshot/serve-hooks.js');
      jwtSecret = await importBeforeServe(dataDir, opts.importSnapshot, jwtSecret);
    }
    const clock = opts.clock ?? createServeClock(dataDir, opts.clockStart);

    const log = opts.log ?? createRequestLog();
    const { sql, db, firstRun, migration } = await openServeDatabase(opts, dataDir, clock, log);
    cleanups.push(() => sql.close());

    const blobs = openSqliteBlobs({ path: join(dataDir, BLOBS_FILE), clock, backgroundCheckpoints: true });
    const blobsToken = await loadOrCreateBlobsToken(dataDir);
    cleanups.push(() => blobs.close());
    if (clock instanceof VirtualClock) cleanups.push(recordClockChanges(clock, dataDir, log));
    const seed = opts.seed ?? '42';
    const { deps, strava, rateLimits, fakeStrava, credentials } = createServeDeps(opts, { sql, blobs, clock, log, jwtSecret, seed });
    // Built-ins with their default schedules: the project runtime applies netlify.toml's (the project's, else the default one), and again on each save.
    const builtins = opts.builtins === 'none' ? [] : FUNCTIONS.map((f) => ({
      name: f.name,
      kind: f.kind,
      ...(f.schedule ? { schedule: f.schedule } : {}),
      ...(f.jobIdFor ? { jobIdFor: f.jobIdFor } : {}),
      cors: 'loopback' as const,
      handler: f.create(deps),
    }));
    // The project's own functions over the built-ins; its router adds their config.path routes to the redirects.
    const { createProjectRuntime } = await import('../runtime/project.js');
    const project = await createProjectRuntime({ projectDir: resolve(opts.cwd ?? process.cwd()), ...(opts.functionsDir ? { functionsDir: opts.functionsDir } : {}), builtins, clock, log });
    cleanups.push(() => project.close());
    const functions = project.functions;

    // Admin surfaces (/_/): Host and Origin checked, a per-run token, the service-role key off loopback.
    let listeningPort = 0;
    const adminGuard = createAdminGuard({
      boundHost: opts.host ?? '127.0.0.1',
      port: () => listeningPort,
      ...(opts.host !== undefined && !isLoopbackHost(opts.host) ? { serviceRoleKey: localKeys(jwtSecret).serviceRoleKey } : {}),
    });
    const inspector = opts.inspector === false ? undefined : createInspectorMount(adminGuard);

    // One options object for both Supabase mounts: its issuer is set once the port is known.
    const supabase: AuthHandlerOptions = { sql, secret: jwtSecret, clock, credentials, isSessionRevoked: (id) => isSessionRevoked(deps, id) };
    const loadedResumes: Array<Promise<unknown>> = [];
    const afterLoad = async (): Promise<void> => {
      if (fakeStrava) await connectAthletesToFakeStrava(sql, fakeStrava);
      // A backfill the loaded snapshot caught mid-way resumes, as it would at a start.
      loadedResumes.push((await resumeInterruptedBackfills(deps, { signal: resumeAbort.signal })).finished.catch(() => undefined));
    };
    const liveState = db ? await snapshotState({ dataDir, database: db, secretHolders: [deps.secrets, supabase], clock, pause: () => emulator.pause(), afterLoad }) : undefined;
    const mounts: Mount[] = [
      ...controlMounts({ guard: adminGuard, clock, scheduler: () => scheduler, state: () => liveState }),
      ...blobsMounts(createBlobsHandler({ blobs, token: blobsToken, siteID: LOCAL_SITE_ID, clock }), LOCAL_SITE_ID),
      { prefix: '/auth/v1/', handler: createSupabaseHandler(supabase) },
      { prefix: '/rest/v1/', handler: createSupabaseHandler(supabase) },
      ...(fakeStrava ? [{ prefix: `${FAKE_STRAVA_PREFIX}/`, handler: fakeStrava }] : []),
      { prefix: `${OPENAI_ENDPOINT_PREFIX}/v1/`, handler: createOpenAiEndpoint({ clock }) },
      ...(inspector ? [inspector.mount] : []),
    ];
    const emulator = createEmulator({
      functions,
      redirects: project.router,
      mounts,
      clock,
      log,
      limits: opts.syncTimeoutMs ? { syncTimeoutMs: opts.syncTimeoutMs } : {},
      ...(db ? { timeoutNote: db.waitNote } : {}),
      guard: createServeGuard(deps, sql),
      gate: createRequestGate({ clock, jwtSecret, ...(opts.rateLimits?.login ? { login: opts.rateLimits.login } : {}), ...(opts.rateLimits?.api ? { api: opts.rateLimits.api } : {}) }),
      jobLookup: async (id) => {
        const row = /^[0-9a-f-]{36}$/i.test(id) ? await getBackfillJob(sql, id) : null;
        return row ? backfillJobRecord(row) : undefined;
      },
    });
    const listening = await emulator.listen(opts.port ?? 8888, opts.host ?? '127.0.0.1');
    listeningPort = listening.port;
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
      adminToken: adminGuard.token,
    });
    cleanups.push(() => removeServeInfo(dataDir));

    // Jobs a killed process left behind run outside the emulator's job runner: on close they are
    // told to stop at their next checkpoint and awaited before the databases close.
    const resumeAbort = new AbortController();
    const resumed = await resumeInterruptedBackfills(deps, { signal: resumeAbort.signal });
    const resumedDone = resumed.finished.catch(() => undefined);
    cleanups.push(async () => {
      resumeAbort.abort();
      await Promise.all([resumedDone, ...loadedResumes]);
    });
    const clockHook = clockChanges(clock);
    const scheduler = createScheduler({
      functions,
      invoker: emulator.invoker,
      clock,
      ...(clockHook ? { clockChanges: clockHook } : {}),
      onNotice: (message) => log.notice({ time: new Date(clock.now()).toISOString(), message }),
    });
    const { connectProject } = await import('../runtime/serve-wiring.js');
    const projectServe = connectProject({
      runtime: project,
      projectDir: resolve(opts.cwd ?? process.cwd()),
      url: listening.url,
      jwtSecret,
      blobsToken,
      ...(opts.dbUrl ? { databaseUrl: opts.dbUrl } : pgPort !== undefined ? { databaseUrl: `postgres://postgres@127.0.0.1:${pgPort}/postgres` } : {}),
      ...(fakeStrava ? { fakeStravaUrl: `${listening.url}${FAKE_STRAVA_PREFIX}` } : {}),
      ...(opts.online ? { online: true } : {}),
      ...(opts.useEnv ? { useEnv: opts.useEnv } : {}),
      watch: opts.watch !== false,
      scheduler,
    });
    cleanups.push(() => projectServe.close());
    if (opts.schedule !== false) scheduler.start();
    cleanups.push(() => scheduler.stop());

    inspector?.attach({ url: listening.url, database: sql.target.label, ...(pgPort !== undefined ? { pgPort } : {}), sql, blobs, clock, log, functions, emulator, scheduler, jwtSecret, blobsToken, seed, ...(fakeStrava ? { fakeStrava } : {}) });
    cleanups.push(() => inspector?.close());

    const demo = {
      athleteId: DEMO_ATHLETE_ID,
      token: mintAccessToken({ secret: jwtSecret, clock, athleteId: DEMO_ATHLETE_ID, ttlSeconds: DEMO_TOKEN_TTL_S, issuer: deps.config.issuer }).token,
    };

    let closing: Promise<void> | undefined;
    return {
      url: listening.url,
      ...(pgPort !== undefined ? { pgPort } : {}),
      database: sql.target.label,
      emulator,
      functions,
      project,
      envReplaced: projectServe.replaced,
      scheduler,
      log,
      sql,
      clock,
      adminToken: adminGuard.token,
      blobs,
      blobsToken,
      ...(fakeStrava ? { fakeStrava } : {}),
      demo,
      firstRun,
      migration,
      ...(seeded ? { seeded } : {}),
      resumedBackfills: resumed.jobIds,
      adminGuard,
      ...(inspector ? { inspectorUrl: `${listening.url}/_/` } : {}),
      close: (deadlineMs?: number) => {
        // No new scheduled runs and resumed backfills checkpoint, while the emulator drains its
        // requests and jobs; then the stores under them close.
        closing ??= (async () => {
          resumeAbort.abort();
          await Promise.all([scheduler.stop(), emulator.close(deadlineMs)]);
          if (opts.exportOnExit && liveState) await exportOnExit(liveState, opts.exportOnExit, log, clock);
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
