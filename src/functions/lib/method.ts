import type { NetlifyEvent } from '../../emulator/types.js';
import { HttpError } from './http.js';

/**
 * Throws 405 with an `Allow` header unless the request's method is one of `allowed`. HEAD is
 * allowed wherever GET is and returns 'GET', so the handler answers it as GET; the HTTP layer
 * sends the same status and headers without the body.
 */
export function requireMethod(event: NetlifyEvent, allowed: readonly string[]): string {
  const method = (event.httpMethod || 'GET').toUpperCase();
  if (allowed.includes(method)) return method;
  const canGet = allowed.includes('GET');
  if (method === 'HEAD' && canGet) return 'GET';
  const allow = canGet && !allowed.includes('HEAD') ? [...allowed, 'HEAD'] : allowed;
  throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allow.join(' or ')}`, { allow: allow.join(', ') });
}
