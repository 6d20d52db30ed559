import type { CommandContext } from '../cli/context.js';
import { resolveJwtSecret } from '../config/jwt-secret.js';
import { SHUTDOWN_DEADLINE_MS } from '../emulator/limits.js';
import { redactText } from '../util/redact.js';
import { usageError, VeloError } from '../errors.js';
import { MAX_SEED_ATHLETES } from '../seed/seed.js';
import { STRAVA_BASE_URL } from '../strava/client.js';
import { startServe } from './start.js';
import { attachServeUi } from './ui.js';

/** `veloready serve`: start, show, and stop gracefully on SIGINT/SIGTERM (twice: at once). */
export async function runServe(ctx: CommandContext): Promise<void> {
  const { opts, config, out } = ctx;
  if (typeof opts.seed === 'number' && opts.seed > MAX_SEED_ATHLETES) {
    throw usageError('SEED_ATHLETES', `--seed must be a whole number from 1 to ${MAX_SEED_ATHLETES}`);
  }
  const secret = await resolveJwtSecret(config);
  const realStrava = opts.strava === 'real' || Boolean(opts.stravaUrl);
  if (realStrava && (!config.get('stravaClientId') || !config.get('stravaClientSecret'))) {
    throw new VeloError('STRAVA_NOT_CONFIGURED', 'the real Strava API needs STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET', 'set them in the environment or .env, or drop --strava real');
  }
  const dbUrl = config.get('databaseUrl');
  if (!out.json) out.info(`starting: ${dbUrl ? 'database from --db-url / DATABASE_URL' : `embedded database in ${config.get('dataDir')}`}…`);

  const serve = await startServe({
    dataDir: config.get('dataDir')!,
    port: opts.port as number,
    host: opts.host as string,
    pgPort: opts.pgPort as number,
    ...(dbUrl ? { dbUrl } : {}),
    jwtSecret: secret.value,
    reset: Boolean(opts.reset),
    pgtap: Boolean(opts.pgtap),
    ...(opts.seed ? { seedAthletes: opts.seed as number } : {}),
    ...(realStrava
      ? {
          stravaUrl: (opts.stravaUrl as string | undefined) ?? STRAVA_BASE_URL,
          stravaClientId: config.get('stravaClientId')!,
          stravaClientSecret: config.get('stravaClientSecret')!,
        }
      : {}),
    stravaVerifyToken: config.get('stravaVerifyToken')!,
    ...(config.get('openaiApiKey') ? { openaiApiKey: config.get('openaiApiKey')!, openaiBaseUrl: config.get('openaiBaseUrl')! } : {}),
    deepLink: opts.deepLink as string,
    syncTimeoutMs: (opts.syncTimeout as number) * 1000,
    idleInTransactionMs: (opts.idleInTransactionTimeout as number) * 1000,
  });
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
