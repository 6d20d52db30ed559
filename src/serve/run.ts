import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandContext } from '../cli/context.js';
import { resolveJwtSecret } from '../config/jwt-secret.js';
import { SHUTDOWN_DEADLINE_MS } from '../emulator/limits.js';
import { redactText } from '../util/redact.js';
import { usageError, VeloError } from '../errors.js';
import { MAX_SEED_ATHLETES } from '../seed/seed.js';
import { STRAVA_BASE_URL } from '../strava/client.js';
import { DEFAULT_API_BUDGET } from '../ratelimit/gate.js';
import { describeMigrationsDir, migrationsDirOptions, resolveMigrationsDir } from '../db/migrations-dir.js';
import { checkDbUrl, checkStravaUrl } from './preflight.js';
import { startServe } from './start.js';
import { attachServeUi } from './ui.js';

/** `veloready serve`: start, show, and stop gracefully on SIGINT/SIGTERM (twice: at once). */
export async function runServe(ctx: CommandContext): Promise<void> {
  const { opts, config, out } = ctx;
  if (typeof opts.seed === 'number' && opts.seed > MAX_SEED_ATHLETES) {
    throw usageError('SEED_ATHLETES', `--seed must be a whole number from 1 to ${MAX_SEED_ATHLETES}`);
  }
  // Flags and URLs first: a bad one is exit 2 before anything is created or opened.
  const rawDbUrl = config.get('databaseUrl');
  const dbUrl = rawDbUrl ? checkDbUrl(rawDbUrl, config.source('databaseUrl') === 'flag' ? '--db-url' : 'DATABASE_URL') : undefined;
  const stravaUrl = typeof opts.stravaUrl === 'string' ? checkStravaUrl(opts.stravaUrl) : undefined;
  if (typeof opts.functions === 'string' && !existsSync(resolve(opts.functions))) {
    throw usageError('FUNCTIONS_DIR_MISSING', `--functions ${opts.functions}: no such folder`, 'name the folder that holds your function files');
  }
  const secret = await resolveJwtSecret(config);
  const realStrava = opts.strava === 'real' || opts.stravaUrl !== undefined;
  if (realStrava && (!config.get('stravaClientId') || !config.get('stravaClientSecret'))) {
    throw new VeloError('STRAVA_NOT_CONFIGURED', 'the real Strava API needs STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET', 'set them in the environment or .env, or drop --strava real');
  }
  const subscriptionId = Number(config.get('stravaSubscriptionId'));
  if (!Number.isSafeInteger(subscriptionId) || subscriptionId < 1) {
    throw usageError('STRAVA_SUBSCRIPTION_ID', 'STRAVA_SUBSCRIPTION_ID must be a whole number (the id Strava gave the push subscription)');
  }
  const snapshotFile = async (nameOrPath: unknown): Promise<string | undefined> => {
    if (typeof nameOrPath !== 'string') return undefined;
    const { snapshotPath } = await import('../snapshot/names.js');
    const isPath = nameOrPath.endsWith('.tar.gz') || nameOrPath.includes('/');
    return isPath ? snapshotPath(config.get('dataDir')!, undefined, nameOrPath) : snapshotPath(config.get('dataDir')!, nameOrPath);
  };
  const importSnapshot = await snapshotFile(opts.import);
  const exportOnExit = await snapshotFile(opts.exportOnExit);
  if (dbUrl && (importSnapshot || exportOnExit)) {
    throw usageError('SNAPSHOT_UNSUPPORTED', 'snapshots cover the embedded database; --import / --export-on-exit do not work with --db-url', 'use pg_dump for a Postgres server');
  }
  if (typeof opts.clock === 'string') {
    const { parseTimeSpec } = await import('../clock/time-spec.js');
    parseTimeSpec(opts.clock, Date.now());
  }
  if (!out.json) out.info(`starting: ${dbUrl ? 'database from --db-url / DATABASE_URL' : `embedded database in ${config.get('dataDir')}`}…`);

  const serve = await startServe({
    dataDir: config.get('dataDir')!,
    port: opts.port as number,
    host: opts.host as string,
    pgPort: opts.pgPort as number,
    ...(dbUrl ? { dbUrl } : {}),
    jwtSecret: secret.value,
    migrations: resolveMigrationsDir(migrationsDirOptions(config)),
    reset: Boolean(opts.reset),
    pgtap: Boolean(opts.pgtap),
    ...(opts.seed ? { seedAthletes: opts.seed as number } : {}),
    ...(realStrava
      ? {
          stravaUrl: stravaUrl ?? STRAVA_BASE_URL,
          stravaClientId: config.get('stravaClientId')!,
          stravaClientSecret: config.get('stravaClientSecret')!,
        }
      : {}),
    stravaVerifyToken: config.get('stravaVerifyToken')!,
    stravaSubscriptionId: subscriptionId,
    ...(config.get('openaiApiKey') ? { openaiApiKey: config.get('openaiApiKey')!, openaiBaseUrl: config.get('openaiBaseUrl')! } : {}),
    deepLink: opts.deepLink as string,
    syncTimeoutMs: (opts.syncTimeout as number) * 1000,
    idleInTransactionMs: (opts.idleInTransactionTimeout as number) * 1000,
    ...(opts.functions ? { functionsDir: opts.functions as string } : {}),
    builtins: opts.builtins === 'none' ? 'none' : 'all',
    ...(opts.online ? { online: true } : {}),
    ...(opts.useEnv ? { useEnv: opts.useEnv as string[] } : {}),
    watch: opts.watch !== false,
    inspector: opts.inspector !== false,
    ...(opts.rateLimit
      ? { rateLimits: { api: typeof opts.rateLimit === 'number' ? { limit: opts.rateLimit, windowMs: 60_000 } : DEFAULT_API_BUDGET } }
      : {}),
    ...(typeof opts.clock === 'string' ? { clockStart: opts.clock } : {}),
    ...(importSnapshot ? { importSnapshot } : {}),
    ...(exportOnExit ? { exportOnExit } : {}),
  });
  // On stderr, as every db command says it (--json keeps stdout to the JSON lines).
  out.info(describeMigrationsDir(serve.migration.migrations));
  for (const w of serve.migration.warnings) out.warn(w);
  const ui = await attachServeUi(out, serve, { ui: opts.ui !== false });

  await untilShutdown({
    stop: async () => {
      ui.stopping();
      await serve.close(SHUTDOWN_DEADLINE_MS);
      await ui.close();
    },
    onForce: (signal) => out.info(`${signal} again: exiting now`),
    onError: (err) => out.warn(`shutdown did not finish cleanly: ${redactText(err instanceof Error ? err.message : String(err))}`),
  });
  if (!out.json) out.info('stopped');
}

export interface ShutdownOptions {
  /** Graceful stop: stop accepting, let requests and jobs checkpoint, close the databases. */
  stop: () => Promise<void>;
  /** Called on a second signal, just before exiting at once. */
  onForce?: (signal: NodeJS.Signals) => void;
  /** The graceful stop failed (the process still ends). */
  onError?: (err: unknown) => void;
  /** Where signals arrive and how to exit (tests pass their own). */
  process?: Pick<NodeJS.EventEmitter, 'on' | 'off'> & { exit(code?: number): never | void };
}

/** Exit code for a forced stop (128 + SIGINT). */
export const FORCED_EXIT_CODE = 130;

/**
 * Resolves once the first SIGINT/SIGTERM's graceful stop is over (even if it failed: the process
 * is going away either way); a second signal meanwhile exits at once.
 */
export function untilShutdown(opts: ShutdownOptions): Promise<void> {
  const proc = opts.process ?? process;
  return new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        opts.onForce?.(signal);
        proc.exit(FORCED_EXIT_CODE);
        return;
      }
      stopping = true;
      void opts
        .stop()
        .catch((err: unknown) => opts.onError?.(err))
        .finally(() => {
          proc.off('SIGINT', onSignal);
          proc.off('SIGTERM', onSignal);
          resolve();
        });
    };
    proc.on('SIGINT', onSignal);
    proc.on('SIGTERM', onSignal);
  });
}
