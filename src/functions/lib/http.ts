import type { NetlifyResponse } from '../../emulator/types.js';

/** Headers every JSON answer carries. Never `public`: these are one user's data. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export type HeaderMap = Record<string, string>;

/** A JSON response with the given status. */
export function json(statusCode: number, payload: unknown, headers: HeaderMap = {}): NetlifyResponse {
  return {
    statusCode,
    headers: { 'content-type': JSON_CONTENT_TYPE, 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(payload),
  };
}

/**
 * An HTTP error a handler throws on purpose: the status and the stable code reach the client as
 * `{error:{code,message}}`. Anything else thrown becomes a 500 INTERNAL without details.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: HeaderMap = {},
  ) {
    super(message);
  }
}

export function errorResponse(status: number, code: string, message: string, headers: HeaderMap = {}): NetlifyResponse {
  return json(status, { error: { code, message } }, headers);
}

export const badRequest = (code: string, message: string): HttpError => new HttpError(400, code, message);
export const notFound = (message = 'Not found'): HttpError => new HttpError(404, 'NOT_FOUND', message);
