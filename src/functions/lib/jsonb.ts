/** Deepest nesting a client's JSON may have before it is stored as jsonb. */
export const JSONB_MAX_DEPTH = 16;

/** NUL and unpaired surrogates: valid in a JS string, refused by Postgres's text and jsonb. */
const UNSTORABLE_RE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The string with every character Postgres cannot store replaced by U+FFFD. */
export const storableText = (s: string): string => s.replace(UNSTORABLE_RE, '\uFFFD');

/**
 * A copy of a parsed JSON value that Postgres accepts as jsonb (keys and strings through
 * storableText), or undefined when it is nested deeper than `maxDepth`.
 */
export function storableJson(value: unknown, maxDepth = JSONB_MAX_DEPTH): unknown {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (maxDepth <= 0) return undefined;
  const entries: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(value)) {
    const copy = storableJson(v, maxDepth - 1);
    if (copy === undefined) return undefined;
    entries.push([storableText(k), copy]);
  }
  // fromEntries defines own properties: a "__proto__" key stays a key.
  return Array.isArray(value) ? entries.map(([, v]) => v) : Object.fromEntries(entries);
}
