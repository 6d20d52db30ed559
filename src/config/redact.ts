import { isSecretName } from '../util/redact.js';

/**
 * Redaction of configuration values for display (`veloready config`, the database a command
 * touched). Log lines and error text are scrubbed by src/util/redact.ts, whose rules for what is
 * a secret this shares.
 */
export const REDACTED = '****';

/** `abcd…` style is still a leak for short secrets: show only that a value is set and its length. */
export function redactSecret(value: string | undefined): string | undefined {
  return value === undefined ? undefined : `${REDACTED} (${value.length} chars)`;
}

const SECRET_PARAM_NAMES = 'password|pass|sslpassword|token|access_token|refresh_token|apikey|api_key|key|secret|code|client_secret';
/** `scheme://user:PASSWORD@`: everything up to the last `@` is masked (too much rather than too little). */
const USERINFO_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^]*@(?=[^@]*$)/i;
/** `password=…` in a libpq key=value string or a query string. */
const SECRET_ASSIGNMENT = new RegExp(`(^|[\\s?&;])(${SECRET_PARAM_NAMES})=('(?:[^'\\\\]|\\\\.)*'|[^\\s&;]*)`, 'gi');

/**
 * Removes the password (and secret-looking query params) from a URL. A value that does not parse
 * as a URL (a password with an unescaped `#` or `/`, a libpq `key=value` string) still has its
 * userinfo password and `password=` style assignments masked: config output never leaks them.
 */
export function redactUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value.replace(USERINFO_PASSWORD, `$1${REDACTED}@`).replace(SECRET_ASSIGNMENT, `$1$2=${REDACTED}`);
  }
  let changed = false;
  if (url.password) {
    url.password = REDACTED;
    changed = true;
  }
  for (const name of [...url.searchParams.keys()]) {
    if (isSecretName(name)) {
      url.searchParams.set(name, REDACTED);
      changed = true;
    }
  }
  // Untouched values are shown as given, not re-serialized (no added trailing slash).
  return changed ? url.toString().replace(/%2A%2A%2A%2A/g, REDACTED) : value;
}

/** A database URL fit for printing (`database: …` on every db command). */
export const redactDbUrl = (url: string): string => redactUrl(url) ?? url;
