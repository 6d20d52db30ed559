/** Keeps secrets out of logs: query params, headers and free text (errors) are scrubbed here. */
export const REDACTED = '[REDACTED]';

const SECRET_QUERY_PARAMS = new Set(['code', 'refresh_token', 'access_token', 'id_token', 'token', 'client_secret', 'password', 'hub.verify_token', 'apikey', 'api_key', 'key', 'signature', 'sig']);
const SECRET_NAME_RE = /token|secret|passw|api[-_]?key|^key$|authorization|cookie|signature/i;
const JWT_RE = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}/g;
const BEARER_RE = /\b(Bearer|Basic)\s+[\w\-.~+/=]+/gi;
const OPENAI_KEY_RE = /\bsk-[\w-]{10,}/g;
/**
 * A long opaque token standing alone in a path segment or query value: 40+ characters of a token
 * alphabet with letters and digits both (Strava's 40-hex tokens, 43-char base64url refresh tokens);
 * UUIDs (36), 32-hex challenges and long plain words stay readable.
 */
const LONG_TOKEN_RE = /(?<![\w~+%-])(?=[\w~+%-]*\d)(?=[\w~+%-]*[a-z])[\w~+%-]{40,}(?![\w~+%-])/gi;
/** A cheap test before the replacements: most request paths have nothing that could be a secret. */
const MAYBE_SECRET_RE = /eyJ|sk-|[\w~+%-]{40}/;
/** `postgres://user:password@host` (a --db-url in a connection error): the password goes. */
const URL_PASSWORD_RE = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]+@/gi;

export const isSecretName = (name: string): boolean => SECRET_QUERY_PARAMS.has(name.toLowerCase()) || SECRET_NAME_RE.test(name);

/**
 * A request target as logged: `/oauth/strava/callback?code=abc&state=x` →
 * `/oauth/strava/callback?code=[REDACTED]&state=x`, and a token anywhere in the path or a query
 * value (`/api/jobs/eyJ…`, `/.netlify/functions/sk-…`) → `[REDACTED]`, the rest kept.
 */
export function redactPath(pathWithQuery: string): string {
  let out = redactedPaths.get(pathWithQuery);
  if (out === undefined) {
    const q = pathWithQuery.indexOf('?');
    out = q < 0 ? redactTokens(pathWithQuery) : `${redactTokens(pathWithQuery.slice(0, q))}?${redactQuery(pathWithQuery.slice(q + 1))}`;
    if (redactedPaths.size >= REDACTED_PATHS_KEPT) redactedPaths.clear();
    redactedPaths.set(pathWithQuery, out);
  }
  return out;
}
/** Request paths repeat (an app polls the same few): each is scanned once. */
const redactedPaths = new Map<string, string>();
const REDACTED_PATHS_KEPT = 1024;

/** JWTs, API keys and long opaque tokens in a path or query value. */
function redactTokens(text: string): string {
  if (!MAYBE_SECRET_RE.test(text)) return text;
  return redactText(text).replace(LONG_TOKEN_RE, REDACTED);
}

/** Redacts the values of secret-looking params in a raw query string, keeping its order and form. */
export function redactQuery(rawQuery: string): string {
  if (!rawQuery) return rawQuery;
  return rawQuery
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return redactTokens(pair);
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        /* keep the raw name */
      }
      return isSecretName(name) ? `${pair.slice(0, eq)}=${REDACTED}` : redactTokens(pair);
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
