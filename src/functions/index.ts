import type { FunctionKind, Handler, NetlifyEvent } from '../emulator/types.js';
import { createAiBriefHandler } from './ai-brief.js';
import { createApiActivitiesHandler } from './api-activities.js';
import { createApiStreamsHandler } from './api-streams.js';
import { createAuthDisconnectHandler } from './auth-disconnect.js';
import { createAuthRefreshTokenHandler } from './auth-refresh-token.js';
import { backfillJobIdFor, createBackfillBackgroundHandler } from './backfill-background.js';
import { createCleanupHandler } from './cleanup.js';
import type { FunctionDeps } from './deps.js';
import { createNightlyReconcileHandler } from './nightly-reconcile.js';
import { createOauthStravaTokenExchangeHandler } from './oauth-strava-token-exchange.js';
import { createStravaWebhookHandler } from './strava-webhook.js';

export interface FunctionDefinition {
  name: string;
  kind: FunctionKind;
  /** Cron expression (scheduled functions only). */
  schedule?: string;
  create(deps: FunctionDeps): Handler;
  /** Background functions: the id of the job a request continues (see FunctionDef.jobIdFor). */
  jobIdFor?: (event: NetlifyEvent) => string | undefined;
}

/** Every function of the VeloReady API (../shared/DESIGN.md, "Function API"). */
export const FUNCTIONS: readonly FunctionDefinition[] = [
  { name: 'api-activities', kind: 'sync', create: createApiActivitiesHandler },
  { name: 'api-streams', kind: 'sync', create: createApiStreamsHandler },
  { name: 'ai-brief', kind: 'sync', create: createAiBriefHandler },
  { name: 'oauth-strava-token-exchange', kind: 'sync', create: createOauthStravaTokenExchangeHandler },
  { name: 'auth-refresh-token', kind: 'sync', create: createAuthRefreshTokenHandler },
  { name: 'auth-disconnect', kind: 'sync', create: createAuthDisconnectHandler },
  { name: 'strava-webhook', kind: 'sync', create: createStravaWebhookHandler },
  { name: 'backfill-background', kind: 'background', create: createBackfillBackgroundHandler, jobIdFor: backfillJobIdFor },
  { name: 'nightly-reconcile', kind: 'scheduled', schedule: '0 3 * * *', create: createNightlyReconcileHandler },
  { name: 'cleanup', kind: 'scheduled', schedule: '@hourly', create: createCleanupHandler },
];

export function findFunction(name: string): FunctionDefinition | undefined {
  return FUNCTIONS.find((f) => f.name === name);
}

export type { FunctionDeps, FunctionSecrets, FunctionConfig } from './deps.js';
export { resumeInterruptedBackfills } from './lib/backfill-job.js';
export { createRateLimitHub, type RateLimitHub } from './lib/rate-limit-hub.js';
