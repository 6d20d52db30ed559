import { isOverLimit, isResponseOverLimit, payloadTooLarge, responseTooLarge } from './body-limit.js';
import { Deadlines } from './deadlines.js';
import { errorResponse, type HandlerErrorInfo } from './error-boundary.js';
import { functionTimeout } from './timeout.js';
import type { Handler, NetlifyContext, NetlifyResponse } from './types.js';

export interface GuardOptions {
  /** Netlify's limit for this kind of function (synchronous 10 s, scheduled 15 min). */
  timeoutMs: number;
  /** Request and response body limit (6 MB). */
  bodyBytes: number;
  /** Told of every handler failure (the log); the client only sees the JSON error. */
  onError?: (info: HandlerErrorInfo) => void;
  /** What a timed-out function may have been waiting for, added to its 504's message. */
  timeoutNote?: () => string | undefined;
}

/**
 * Netlify's limits around a function, in one step per call (every request passes here):
 * - an oversize request body never reaches the handler: 413 PAYLOAD_TOO_LARGE;
 * - a handler slower than `timeoutMs` answers 504 FUNCTION_TIMEOUT naming the function (it
 *   cannot be cancelled; its late result is dropped);
 * - a throw becomes a JSON error: an error carrying a 4xx keeps it, anything else is a 500 whose
 *   details go only to `onError`;
 * - an oversize response body is replaced by 413 RESPONSE_TOO_LARGE.
 */
export function guard(handler: Handler, opts: GuardOptions): Handler {
  const { timeoutMs, bodyBytes, onError, timeoutNote } = opts;
  const deadlines = new Deadlines(timeoutMs);
  const failed = (error: unknown, context: NetlifyContext): NetlifyResponse => {
    const response = errorResponse(error, context.awsRequestId);
    onError?.({ functionName: context.functionName, requestId: context.awsRequestId, status: response.statusCode, error });
    return response;
  };
  // One promise per call, settled by whichever comes first (the handler or its deadline): every
  // request passes here, and each async layer would cost it another promise and microtask.
  return (event, context) =>
    new Promise<NetlifyResponse>((resolve) => {
      if (isOverLimit(event.body, event.isBase64Encoded, bodyBytes)) return resolve(payloadTooLarge(bodyBytes));
      let running: Promise<NetlifyResponse>;
      try {
        running = handler(event, context);
      } catch (error) {
        return resolve(failed(error, context));
      }
      const deadline = deadlines.start(() => resolve(functionTimeout(context.functionName, timeoutMs, timeoutNote?.())));
      Promise.resolve(running).then(
        (response) => {
          deadline.clear();
          try {
            resolve(isResponseOverLimit(response, bodyBytes) ? responseTooLarge(context.functionName, bodyBytes) : response);
          } catch (error) {
            resolve(failed(error, context)); // not a response object at all
          }
        },
        (error: unknown) => {
          deadline.clear();
          resolve(failed(error, context));
        },
      );
    });
}
