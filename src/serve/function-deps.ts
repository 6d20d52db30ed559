import { selectAi } from '../ai/select.js';
import type { Blobs } from '../blobs/store.js';
import type { Clock } from '../clock.js';
import type { Sql } from '../db/sql.js';
import type { RequestLog } from '../emulator/request-log.js';
import { createRateLimitHub, type FunctionDeps } from '../functions/index.js';
import { DEFAULT_DEEP_LINK } from '../functions/deps.js';
import type { RateLimitHub } from '../functions/lib/rate-limit-hub.js';
import { createCredentialLimiter, type CredentialLimiter } from '../ratelimit/credentials.js';
import { DEFAULT_LOGIN_BUDGET } from '../ratelimit/gate.js';
import { createAthleteDirectory } from '../strava/fake-athletes.js';
import { createFakeStrava, type FakeStrava } from '../strava/fake-server.js';
import { LOCAL_STRAVA_SUBSCRIPTION_ID } from '../strava/subscription.js';
import { DEMO_ATHLETE_ID } from './demo-data.js';
import { FAKE_STRAVA_PREFIX, type ServeOptions } from './options.js';
import { delegateStrava, type DelegatingStrava } from './strava-delegate.js';

export interface ServeDeps {
  /** What the built-in functions run on. */
  deps: FunctionDeps;
  /** Set once serve listens (the fake Strava's address is serve's own). */
  strava: DelegatingStrava;
  rateLimits: RateLimitHub;
  /** The fake Strava mounted under /strava, unless `--strava-url` names a real one. */
  fakeStrava?: FakeStrava;
  credentials: CredentialLimiter;
}

export interface ServeDepsSources {
  sql: Sql;
  blobs: Blobs;
  clock: Clock;
  log: RequestLog;
  jwtSecret: string;
  seed: string;
}

/** The built-in functions' dependencies from serve's options and stores. */
export function createServeDeps(opts: ServeOptions, s: ServeDepsSources): ServeDeps {
  const { clock, log } = s;
  // A handler's unexpected failure (answered 500 INTERNAL "see the server log") lands in the request log, redacted.
  const logHandlerError = (line: Record<string, unknown>): void =>
    log.error({
      time: new Date(clock.now()).toISOString(),
      requestId: typeof line['requestId'] === 'string' ? line['requestId'] : '-',
      function: typeof line['function'] === 'string' ? line['function'] : null,
      status: typeof line['status'] === 'number' ? line['status'] : 500,
      error: line['error'] ?? line['message'],
    });
  // Strava: the fake one mounted under /strava, or a real API through the rate-limited client.
  const strava = delegateStrava();
  const rateLimits = createRateLimitHub();
  const fakeStrava = opts.stravaUrl
    ? undefined
    : createFakeStrava({ athletes: createAthleteDirectory({ seed: s.seed, count: 0, ids: [DEMO_ATHLETE_ID] }), clock, basePath: FAKE_STRAVA_PREFIX });
  const credentials = createCredentialLimiter(opts.rateLimits?.login ?? DEFAULT_LOGIN_BUDGET, clock);
  const deps: FunctionDeps = {
    sql: s.sql,
    blobs: s.blobs,
    strava,
    ai: selectAi({ openAiApiKey: opts.openaiApiKey, openAiBaseUrl: opts.openaiBaseUrl, clock }),
    clock,
    secrets: { jwtSecret: s.jwtSecret, stravaVerifyToken: opts.stravaVerifyToken ?? 'veloready-local' },
    config: { deepLink: opts.deepLink ?? DEFAULT_DEEP_LINK, stravaSubscriptionId: opts.stravaSubscriptionId ?? LOCAL_STRAVA_SUBSCRIPTION_ID },
    rateLimits,
    credentials,
    log: logHandlerError,
  };
  return { deps, strava, rateLimits, ...(fakeStrava ? { fakeStrava } : {}), credentials };
}
