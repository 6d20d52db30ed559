/**
 * Budgets per credential (an email signing in, a refresh token presented), beside the gate's
 * per-address ones: guessing one account's password from many addresses still meets a limit.
 * Keys hold a hash of the credential, never the credential itself.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { createRateLimiter, type Budget, type Take } from './limiter.js';

export interface CredentialLimiter {
  /** `endpoint` names the budget's owner (e.g. `/auth/v1/token password`); `credential` is hashed. */
  take(endpoint: string, credential: string): Take;
}

export function createCredentialLimiter(budget: Budget, clock: Clock): CredentialLimiter {
  const limiter = createRateLimiter(budget, clock);
  return {
    take: (endpoint, credential) => limiter.take(`${endpoint}|${createHash('sha256').update(credential).digest('base64url')}`),
  };
}
