import { describe, expect, it } from 'vitest';
import { REDACTED, redactUrl } from '../../src/config/redact.js';

describe('redactUrl', () => {
  it('masks the password of a parseable URL and secret query params', () => {
    expect(redactUrl('postgres://u:pw@h:5432/db?password=x&sslmode=require')).toBe(
      `postgres://u:${REDACTED}@h:5432/db?password=${REDACTED}&sslmode=require`,
    );
    expect(redactUrl('postgres://h/db')).toBe('postgres://h/db');
  });

  it('still masks the password when the value does not parse as a URL', () => {
    for (const [value, secret] of [
      ['postgres://u:p#ss@h/db', 'p#ss'],
      ['postgres://u:p/ss@h:5432/db?sslmode=require', 'p/ss'],
      ['postgres://u:p@ss@h:99999/db', 'p@ss'],
      ['host=h user=u password=s3cret dbname=x', 's3cret'],
      ["host=h password='se cret' port=5", 'se cret'],
    ] as const) {
      const shown = redactUrl(value)!;
      expect(shown, value).not.toContain(secret);
      expect(shown, value).toContain(REDACTED);
    }
    expect(redactUrl('postgres://u:p#ss@h/db')).toBe(`postgres://u:${REDACTED}@h/db`);
    expect(redactUrl('not a url')).toBe('not a url');
  });
});
