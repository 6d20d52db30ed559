/**
 * What the emulator itself guards, with a caller it is told how to recognise: scheduled functions
 * called over HTTP (Netlify does not route HTTP to them when deployed; locally only an operator
 * may) and job records at `/api/jobs/:id` (the job's own user, or an operator).
 */
import { jsonError } from './http-error.js';
import type { NetlifyResponse } from './types.js';

export interface GuardCaller {
  /** A service-role token. */
  operator: boolean;
  /** Who owns what this caller starts (a user id); undefined for operators. */
  owner: string | undefined;
}

/** Why a token was not accepted (its code and message become the 401's). */
export interface GuardRefusal {
  refused: { code: string; message: string };
}

export interface OperatorGuard {
  /** The caller of a request, from its Authorization header. */
  caller(authorization: string | undefined): GuardCaller | GuardRefusal | Promise<GuardCaller | GuardRefusal>;
  /** The owner of a job record the emulator did not start itself (a backfill job row...). */
  ownerOf(record: unknown): string | undefined | Promise<string | undefined>;
}

const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer realm="veloready"' };

const isRefusal = (c: GuardCaller | GuardRefusal): c is GuardRefusal => 'refused' in c;

function unauthorized(r: GuardRefusal): NetlifyResponse {
  const res = jsonError(401, r.refused.code, r.refused.message);
  return { ...res, headers: { ...res.headers, ...WWW_AUTHENTICATE } };
}

/** undefined when an operator calls; else the 401/403 to send. */
export async function refuseNonOperator(guard: OperatorGuard, authorization: string | undefined, functionName: string): Promise<NetlifyResponse | undefined> {
  const caller = await guard.caller(authorization);
  if (isRefusal(caller)) return unauthorized(caller);
  if (!caller.operator) {
    return jsonError(403, 'OPERATOR_ONLY', `${functionName} is a scheduled function: only a service_role token (veloready trigger) may run it over HTTP`);
  }
  return undefined;
}

/** The owner to record for a job a request starts (undefined: none, or an operator's). */
export async function jobOwner(guard: OperatorGuard, authorization: string | undefined): Promise<string | undefined> {
  const caller = await guard.caller(authorization);
  return isRefusal(caller) ? undefined : caller.owner;
}

/**
 * undefined when the caller may read the record; else 401 (no valid token) or 404, as for an
 * unknown id, so job ids of other users cannot be probed.
 */
export async function refuseJobRead(guard: OperatorGuard, authorization: string | undefined, id: string, owner: string | undefined): Promise<NetlifyResponse | undefined> {
  const caller = await guard.caller(authorization);
  if (isRefusal(caller)) return unauthorized(caller);
  if (caller.operator) return undefined;
  if (owner !== undefined && owner === caller.owner) return undefined;
  return jsonError(404, 'JOB_NOT_FOUND', `no job with id ${id}`);
}

/** Whether the request carries a service-role token (an operator's: `veloready trigger`, backfill). */
export async function isOperator(guard: OperatorGuard | undefined, authorization: string | undefined): Promise<boolean> {
  if (!guard || !authorization) return false;
  const caller = await guard.caller(authorization);
  return !isRefusal(caller) && caller.operator;
}
