import { isVeloError } from '../errors.js';
import { httpStatusOf, jsonError } from './http-error.js';
import type { NetlifyResponse } from './types.js';

export interface HandlerErrorInfo {
  functionName: string;
  requestId: string;
  status: number;
  error: unknown;
}

const INTERNAL_STATUS = 500;

/**
 * The JSON answer for what a handler threw: an error carrying a 4xx (HttpError or any VeloError-like
 * `{ status, code, message }`) keeps its status, code and message; a VeloError carrying a 5xx keeps
 * its status and code; anything else is a 500 INTERNAL naming the request id, its message and
 * stack going only to the log.
 */
export function errorResponse(error: unknown, requestId: string): NetlifyResponse {
  const status = httpStatusOf(error);
  if (status !== undefined && status < INTERNAL_STATUS) {
    const e = error as { code?: unknown; message?: unknown; hint?: unknown };
    const code = typeof e.code === 'string' ? e.code : 'BAD_REQUEST';
    const message = typeof e.message === 'string' ? e.message : 'bad request';
    return jsonError(status, code, message, {
      ...(typeof e.hint === 'string' ? { hint: e.hint } : {}),
      requestId,
    });
  }
  if (status !== undefined && isVeloError(error)) {
    return jsonError(status, error.code, error.message, { requestId });
  }
  return jsonError(status ?? INTERNAL_STATUS, 'INTERNAL', `the function failed; see the server log for request ${requestId}`, {
    requestId,
  });
}
