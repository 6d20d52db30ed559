import type { Handler, NetlifyContext, NetlifyEvent, NetlifyResponse } from '../../emulator/types.js';
import { AiError } from '../../ai/errors.js';
import { isVeloError } from '../../errors.js';
import type { FunctionDeps } from '../deps.js';
import { errorResponse, HttpError } from './http.js';

/** VeloError codes from the ports that mean "the caller's credentials are bad". */
const UNAUTHORIZED_CODE_RE = /^(JWT_|TOKEN_|REFRESH_TOKEN_|SESSION_)/;
const UPSTREAM_CODE_RE = /^strava/i;

/** Maps what a handler threw to the client's JSON error; internals never leak. */
export function toErrorResponse(err: unknown): NetlifyResponse {
  if (err instanceof HttpError) return errorResponse(err.status, err.code, err.message, err.headers);
  // The AI port's errors carry the status to answer (502 unreachable, 504 timeout); Strava's carry
  // Strava's own status, which is not ours to forward (its 401 is not the caller's).
  if (err instanceof AiError) return errorResponse(err.status, err.code, err.message);
  if (isVeloError(err)) {
    if (UNAUTHORIZED_CODE_RE.test(err.code)) return errorResponse(401, err.code, err.message);
    if (UPSTREAM_CODE_RE.test(err.code)) return errorResponse(502, err.code, `Strava request failed: ${err.message}`);
    return errorResponse(500, err.code, err.message);
  }
  return errorResponse(500, 'INTERNAL', 'The function failed; see the server log');
}

/** Wraps a handler body so every outcome is a response: thrown errors become JSON errors. */
export function handler(
  fn: (event: NetlifyEvent, context: NetlifyContext) => Promise<NetlifyResponse>,
  onUnexpected?: (err: unknown, context: NetlifyContext) => void,
): Handler {
  const failed = (err: unknown, context: NetlifyContext): NetlifyResponse => {
    if (!(err instanceof HttpError) && !isVeloError(err)) onUnexpected?.(err, context);
    return toErrorResponse(err);
  };
  // A then() rather than an async wrapper: one promise layer less on every request.
  return (event, context) => {
    try {
      return fn(event, context).then(undefined, (err: unknown) => failed(err, context));
    } catch (err) {
      return Promise.resolve(failed(err, context));
    }
  };
}

/**
 * Reports an unexpected failure (a 500) on the deps' log with the request id the client was
 * given: the error itself (the sink redacts it), never request data.
 */
export function logUnexpected(deps: FunctionDeps, functionName: string): (err: unknown, context: NetlifyContext) => void {
  return (err, context) =>
    deps.log?.({
      level: 'error',
      function: functionName,
      requestId: context.awsRequestId,
      message: err instanceof Error ? err.message : String(err),
      error: err,
    });
}
