/** Redaction for anything printed or logged: secrets never leave the process in clear. */
export const REDACTED = '****';

/** `abcd…` style is still a leak for short secrets: show only that a value is set and its length. */
export function redactSecret(value: string | undefined): string | undefined {
  return value === undefined ? undefined : `${REDACTED} (${value.length} chars)`;
}

const SECRET_QUERY_PARAMS = /^(password|pass|sslpassword|token|access_token|refresh_token|apikey|api_key|key|secret|code|client_secret)$/i;

/** Removes the password (and secret-looking query params) from a URL; leaves non-URLs untouched. */
export function redactUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  if (url.password) url.password = REDACTED;
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_QUERY_PARAMS.test(name)) url.searchParams.set(name, REDACTED);
  }
  return url.toString().replace(/%2A%2A%2A%2A/g, REDACTED);
}

const SECRET_HEADERS = new Set(['authorization', 'apikey', 'cookie', 'set-cookie', 'x-api-key', 'proxy-authorization']);

export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = SECRET_HEADERS.has(k.toLowerCase()) && v !== undefined ? REDACTED : v;
  return out;
}
