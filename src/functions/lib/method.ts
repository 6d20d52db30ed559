import type { NetlifyEvent } from '../../emulator/types.js';
import { HttpError } from './http.js';

/** Throws 405 with an `Allow` header unless the request's method is one of `allowed`. */
export function requireMethod(event: NetlifyEvent, allowed: readonly string[]): string {
  const method = (event.httpMethod || 'GET').toUpperCase();
  if (!allowed.includes(method)) {
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allowed.join(' or ')}`, {
      allow: allowed.join(', '),
    });
  }
  return method;
}
