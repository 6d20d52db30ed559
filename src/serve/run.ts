import type { CommandContext } from '../cli/context.js';
import { resolveJwtSecret } from '../config/jwt-secret.js';
import { VeloError } from '../errors.js';
import { STRAVA_BASE_URL } from '../strava/client.js';
import { startServe } from './start.js';
import { attachServeUi } from './ui.js';

const SHUTDOWN_DEADLINE_MS = 10_000;

/** `veloready serve`: start, show, and stop gracefully on SIGINT/SIGTERM (twice: at once). */
export async function runServe(ctx: CommandContext): Promise<void> {
  const { opts, config, out } = ctx;
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
  });
  const ui = await attachServeUi(out, serve, { ui: opts.ui !== false });

  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        out.info(`${signal} again: exiting now`);
        process.exit(130);
      }
      stopping = true;
      ui.stopping();
      void serve
        .close(SHUTDOWN_DEADLINE_MS)
        .then(() => ui.close())
        .finally(() => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve();
        });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  if (!out.json) out.info('stopped');
}
