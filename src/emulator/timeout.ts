import { jsonError } from './http-error.js';
import type { Handler, NetlifyResponse } from './types.js';

export const functionTimeout = (functionName: string, timeoutMs: number): NetlifyResponse =>
  jsonError(504, 'FUNCTION_TIMEOUT', `function "${functionName}" did not respond within ${formatSeconds(timeoutMs)}`, {
    function: functionName,
  });

/**
 * Answers 504 FUNCTION_TIMEOUT naming the function when the handler takes longer than `timeoutMs`
 * (Netlify's synchronous limit). The handler cannot be cancelled; its late result is dropped.
 */
export function withTimeout(handler: Handler, timeoutMs: number): Handler {
  return (event, context) =>
    new Promise<NetlifyResponse>((resolve, reject) => {
      const timer = setTimeout(() => resolve(functionTimeout(context.functionName, timeoutMs)), timeoutMs);
      handler(event, context).then(
        (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
}

const formatSeconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
