import { jsonError } from './http-error.js';
import type { NetlifyResponse } from './types.js';

/** UTF-8 needs at most 3 bytes per UTF-16 code unit: below this many units no count is needed. */
const MAX_UTF8_BYTES_PER_UNIT = 3;

export const payloadTooLarge = (limitBytes: number, what = 'request body'): NetlifyResponse =>
  jsonError(413, 'PAYLOAD_TOO_LARGE', `${what} is larger than the ${formatMb(limitBytes)} limit of Netlify Functions`);

export const responseTooLarge = (functionName: string, limitBytes: number): NetlifyResponse =>
  jsonError(
    413,
    'RESPONSE_TOO_LARGE',
    `function "${functionName}" returned a response body larger than the ${formatMb(limitBytes)} limit of synchronous Netlify Functions`,
  );

/** Byte size of an event or response body as it travels on the wire. */
export function bodyBytes(body: string | null | undefined, isBase64Encoded = false): number {
  if (!body) return 0;
  if (isBase64Encoded) return Math.floor((body.length * 3) / 4) - (body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0);
  return Buffer.byteLength(body, 'utf8');
}

/** True when a body is over the limit; cheap for bodies that obviously fit. */
export function isOverLimit(body: string | null | undefined, isBase64Encoded: boolean | undefined, limitBytes: number): boolean {
  if (!body || body.length * MAX_UTF8_BYTES_PER_UNIT <= limitBytes) return false;
  return bodyBytes(body, isBase64Encoded) > limitBytes;
}

/** True when a response's body is over the limit, whether it is text or bytes already encoded. */
export function isResponseOverLimit(response: NetlifyResponse, limitBytes: number): boolean {
  return response.bytes ? response.bytes.byteLength > limitBytes : isOverLimit(response.body, response.isBase64Encoded, limitBytes);
}

const formatMb = (bytes: number): string => `${Math.round((bytes / (1024 * 1024)) * 100) / 100} MB`;
