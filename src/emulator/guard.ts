import { isOverLimit, payloadTooLarge, responseTooLarge } from './body-limit.js';
import { Deadlines } from './deadlines.js';
import { errorResponse, type HandlerErrorInfo } from './error-boundary.js';
import { functionTimeout } from './timeout.js';
import type { Handler, NetlifyResponse } from './types.js';

export interface GuardOptions {
  /** Netlify's limit for this kind of function (synchronous 10 s, scheduled 15 min). */
  timeoutMs: number;
  /** Request and response body limit (6 MB). */
  bodyBytes: number;
  /** Told of every handler failure (the log); the client only sees the JSON error. */
  onError?: (info: HandlerErrorInfo) => void;
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
  const { timeoutMs, bodyBytes, onError } = opts;
  const deadlines = new Deadlines(timeoutMs);
  return async (event, context) => {
    if (isOverLimit(event.body, event.isBase64Encoded, bodyBytes)) return payloadTooLarge(bodyBytes);
    let response: NetlifyResponse;
    try {
      response = await withinTimeout(handler(event, context), deadlines, () => functionTimeout(context.functionName, timeoutMs));
    } catch (error) {
      const failed = errorResponse(error, context.awsRequestId);
      onError?.({ functionName: context.functionName, requestId: context.awsRequestId, status: failed.statusCode, error });
      return failed;
    }
    if (isOverLimit(response.body, response.isBase64Encoded, bodyBytes)) return responseTooLarge(context.functionName, bodyBytes);
    return response;
  };
}

function withinTimeout(running: Promise<NetlifyResponse>, deadlines: Deadlines, timedOut: () => NetlifyResponse): Promise<NetlifyResponse> {
  return new Promise<NetlifyResponse>((resolve, reject) => {
    const deadline = deadlines.start(() => resolve(timedOut()));
    running.then(
      (response) => {
        deadline.clear();
        resolve(response);
      },
      (err: unknown) => {
        deadline.clear();
        reject(err);
      },
    );
  });
}
