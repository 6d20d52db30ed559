import type { Ai } from '../ai/port.js';
import type { Blobs } from '../blobs/store.js';
import type { Clock } from '../clock.js';
import type { Sql } from '../db/sql.js';
import type { CredentialLimiter } from '../ratelimit/credentials.js';
import type { Strava } from '../strava/port.js';
import type { RateLimitHub } from './lib/rate-limit-hub.js';

export interface FunctionSecrets {
  /** HS256 secret that signs and verifies access tokens (Supabase's JWT secret). */
  jwtSecret: string;
  /** The token Strava echoes back when validating the webhook subscription. */
  stravaVerifyToken: string;
}

export interface FunctionConfig {
  /** Where OAuth redirects the app with its tokens, e.g. `veloready://auth`. */
  deepLink: string;
  /** `iss` of the access tokens the functions mint: the site's own URL + `/auth/v1` (default DEFAULT_ISSUER). */
  issuer?: string;
  /** The Strava push subscription id webhook deliveries must carry; unset accepts any (serve sets it). */
  stravaSubscriptionId?: number;
  /** Days of recent activities `nightly-reconcile` re-syncs. */
  reconcileDays?: number;
  /** How long fetched streams stay in `activity_streams` before `cleanup` removes them. */
  streamRowTtlSeconds?: number;
}

/** Everything a handler may touch: ports only, so the same code runs locally and deployed. */
export interface FunctionDeps {
  sql: Sql;
  blobs: Blobs;
  strava: Strava;
  ai: Ai;
  clock: Clock;
  secrets: FunctionSecrets;
  config: FunctionConfig;
  /** Where the Strava client reports rate-limit waits (its `onRateLimit`), for backfill progress. */
  rateLimits?: Pick<RateLimitHub, 'subscribe'>;
  /** Budgets per presented credential (serve's login budget): `/auth/refresh` per refresh token. */
  credentials?: CredentialLimiter;
  /** Optional sink for operational log lines; a line may carry an `error`, which the sink must redact before it shows it. */
  log?: (line: Record<string, unknown>) => void;
}

export const DEFAULT_DEEP_LINK = 'veloready://auth';
export const DEFAULT_RECONCILE_DAYS = 7;
export const DEFAULT_STREAM_ROW_TTL_S = 7 * 24 * 3600;
