import type { Exchange } from '../emulator/exchange.js';
import type { ErrorLogEntry, RequestLogEntry } from '../emulator/request-log.js';
import { isSecretName, REDACTED, redactHeaders, redactText } from '../util/redact.js';

export interface ShownBody {
  /** The text, secrets redacted (JSON pretty-printed); null when there was none or it was not captured. */
  text: string | null;
  bytes: number;
  truncated: boolean;
}

export interface RequestDetail {
  entry: RequestLogEntry;
  /** False when the request came before any inspector was open: no headers or bodies were kept. */
  captured: boolean;
  request?: { headers: Record<string, string>; body: ShownBody };
  response?: { headers: Record<string, string>; body: ShownBody };
  logs: Array<Pick<ErrorLogEntry, 'time' | 'status' | 'message'>>;
  /** A curl command that repeats the request, with `$TOKEN` where a credential was. */
  curl: string;
}

/** Headers curl should not repeat: the connection's own, and what curl computes. */
const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'accept-encoding', 'keep-alive', 'transfer-encoding', 'user-agent']);

export function requestDetail(entry: RequestLogEntry, exchange: Exchange | undefined, errors: ErrorLogEntry[], origin: string): RequestDetail {
  const logs = errors.map((e) => ({ time: e.time, status: e.status, message: e.message }));
  if (!exchange) return { entry, captured: false, logs, curl: curlFor(entry, undefined, undefined, origin) };
  const requestHeaders = redactHeaders(exchange.requestHeaders);
  const requestBody = exchange.requestBodyKept
    ? shownBody(exchange.requestBody, exchange.requestBytes, String(exchange.requestHeaders['content-type'] ?? ''))
    : { text: null, bytes: Number(exchange.requestHeaders['content-length'] ?? 0) || 0, truncated: false };
  return {
    entry,
    captured: true,
    request: { headers: requestHeaders, body: requestBody },
    response: {
      headers: redactHeaders(stringHeaders(exchange.responseHeaders)),
      body: shownBody(exchange.responseBody, exchange.responseBytes, String(exchange.responseHeaders['content-type'] ?? '')),
    },
    logs,
    curl: curlFor(entry, requestHeaders, requestBody, origin),
  };
}

function stringHeaders(h: Exchange['responseHeaders']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v : String(v);
  return out;
}

/** Redacted as the log redacts: JWTs, bearer credentials and keys in the text, secret-named JSON fields. */
export function shownBody(bytes: Buffer | null, total: number, contentType: string): ShownBody {
  if (!bytes || total === 0) return { text: null, bytes: total, truncated: false };
  const truncated = bytes.byteLength < total;
  const text = bytes.toString('utf8');
  if (!truncated && /json/i.test(contentType)) {
    try {
      return { text: JSON.stringify(redactJson(JSON.parse(text)), null, 2), bytes: total, truncated };
    } catch {
      /* not JSON after all: shown as text */
    }
  }
  return { text: redactText(text), bytes: total, truncated };
}

export function redactJson(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redactJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = isSecretName(k) && v !== null && v !== '' ? REDACTED : redactJson(v);
    return out;
  }
  return value;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `curl` for the request; a redacted credential becomes `$TOKEN` (double-quoted so the shell fills it in). */
export function curlFor(entry: RequestLogEntry, headers: Record<string, string> | undefined, body: ShownBody | undefined, origin: string): string {
  const parts = ['curl'];
  if (entry.method !== 'GET') parts.push('-X', entry.method);
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (HOP_HEADERS.has(name) || name.startsWith('sec-') || name.startsWith('x-forwarded')) continue;
    if (name === 'authorization') parts.push('-H', `"authorization: Bearer $TOKEN"`);
    else if (value === REDACTED) parts.push('-H', `"${name}: $TOKEN"`);
    else parts.push('-H', shellQuote(`${name}: ${value}`));
  }
  if (body?.text && !body.truncated) parts.push('--data-raw', shellQuote(body.text));
  parts.push(shellQuote(`${origin}${entry.path}`));
  return parts.join(' ');
}
