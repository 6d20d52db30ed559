import { VeloError } from '../errors.js';
import type { NetlifyResponse } from './types.js';

export const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json; charset=utf-8' });

/** The one error body shape of every HTTP answer: `{ error: { code, message } }`. */
export function jsonError(
  statusCode: number,
  code: string,
  message: string,
  extra?: Record<string, unknown>,
): NetlifyResponse {
  return {
    statusCode,
    headers: { ...JSON_HEADERS },
    body: JSON.stringify({ error: { code, message, ...extra } }),
  };
}

/** A VeloError that also says which HTTP status it deserves. Handlers throw it for client mistakes. */
export class HttpError extends VeloError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    hint?: string,
  ) {
    super(code, message, hint);
  }
}

/** The HTTP status an error carries (`status` or `statusCode`, 400–599), if any. */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown };
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599 ? status : undefined;
}
