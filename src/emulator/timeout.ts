import { jsonError } from './http-error.js';
import type { NetlifyResponse } from './types.js';

export const functionTimeout = (functionName: string, timeoutMs: number): NetlifyResponse =>
  jsonError(504, 'FUNCTION_TIMEOUT', `function "${functionName}" did not respond within ${formatSeconds(timeoutMs)}`, {
    function: functionName,
  });

const formatSeconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
