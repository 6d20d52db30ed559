import type { NetlifyEvent } from '../../emulator/types.js';
import { badRequest, HttpError } from './http.js';

/** Request bodies a handler reads are small JSON objects; anything bigger is a mistake. */
export const JSON_BODY_LIMIT_BYTES = 64 * 1024;

/** The raw body as text (base64 decoded when the event says so); '' when absent. */
export function bodyText(event: NetlifyEvent): string {
  if (event.body == null) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/**
 * The body as a JSON object. Empty body → `{}` when `optional`, else 400. Form-encoded bodies
 * (`a=1&b=2`) are accepted too, as OAuth clients send them.
 */
export function jsonBody(event: NetlifyEvent, { optional = false } = {}): Record<string, unknown> {
  const text = bodyText(event);
  if (Buffer.byteLength(text) > JSON_BODY_LIMIT_BYTES) {
    throw new HttpError(413, 'BODY_TOO_LARGE', `Request body is over ${JSON_BODY_LIMIT_BYTES} bytes`);
  }
  if (text.trim() === '') {
    if (optional) return {};
    throw badRequest('BODY_REQUIRED', 'Send a JSON object in the request body');
  }
  const type = (event.headers?.['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest('INVALID_JSON', 'The request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw badRequest('INVALID_BODY', 'The request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
