/** Keeps secrets out of logs: query params, headers and free text (errors) are scrubbed here. */
export const REDACTED = '[REDACTED]';

const SECRET_QUERY_PARAMS = new Set(['code', 'refresh_token', 'access_token', 'id_token', 'token', 'client_secret', 'password', 'hub.verify_token', 'apikey', 'api_key', 'key', 'signature', 'sig']);
const SECRET_NAME_RE = /token|secret|passw|api[-_]?key|^key$|authorization|cookie|signature/i;
const JWT_RE = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}/g;
const BEARER_RE = /\b(Bearer|Basic)\s+[\w\-.~+/=]+/gi;
const OPENAI_KEY_RE = /\bsk-[\w-]{10,}/g;
/** `postgres://user:password@host` (a --db-url in a connection error): the password goes. */
const URL_PASSWORD_RE = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]+@/gi;

export const isSecretName = (name: string): boolean => SECRET_QUERY_PARAMS.has(name.toLowerCase()) || SECRET_NAME_RE.test(name);

/** `/oauth/strava/callback?code=abc&state=x` → `/oauth/strava/callback?code=[REDACTED]&state=x`. */
export function redactPath(pathWithQuery: string): string {
  const q = pathWithQuery.indexOf('?');
  if (q < 0) return pathWithQuery;
  return `${pathWithQuery.slice(0, q)}?${redactQuery(pathWithQuery.slice(q + 1))}`;
}

/** Redacts the values of secret-looking params in a raw query string, keeping its order and form. */
export function redactQuery(rawQuery: string): string {
  if (!rawQuery) return rawQuery;
  return rawQuery
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        /* keep the raw name */
      }
      return isSecretName(name) ? `${pair.slice(0, eq)}=${REDACTED}` : redactText(pair);
    })
    .join('&');
}

export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    out[name] = isSecretName(name) ? REDACTED : redactText(text);
  }
  return out;
}

/** Scrubs JWTs, bearer credentials, API keys and URL passwords out of free text such as error messages and stacks. */
export function redactText(text: string): string {
  return text.replace(JWT_RE, REDACTED).replace(BEARER_RE, `$1 ${REDACTED}`).replace(OPENAI_KEY_RE, REDACTED).replace(URL_PASSWORD_RE, `$1:${REDACTED}@`);
}
