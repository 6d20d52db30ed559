import { jsonError } from './http-error.js';
import type { NetlifyResponse } from './types.js';

/** `note` says what the function was waiting for, when the emulator knows (a database held by a socket client). */
export const functionTimeout = (functionName: string, timeoutMs: number, note?: string): NetlifyResponse =>
  jsonError(504, 'FUNCTION_TIMEOUT', `function "${functionName}" did not respond within ${formatSeconds(timeoutMs)}${note ? `: ${note}` : ''}`, {
    function: functionName,
  });

const formatSeconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
