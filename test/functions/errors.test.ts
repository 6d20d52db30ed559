import { describe, expect, it } from 'vitest';
import { AiError } from '../../src/ai/errors.js';
import { toErrorResponse } from '../../src/functions/lib/handle.js';
import { StravaError } from '../../src/strava/errors.js';

const codeOf = (body: string | undefined) => (JSON.parse(body ?? '{}') as { error: { code: string } }).error.code;

describe('toErrorResponse', () => {
  it('an AI provider failure answers its own status (504 timeout, 502 unreachable), not 500', () => {
    const timeout = toErrorResponse(new AiError('OPENAI_TIMEOUT', 'OpenAI did not answer within 30000 ms', 504));
    expect(timeout.statusCode).toBe(504);
    expect(codeOf(timeout.body)).toBe('OPENAI_TIMEOUT');
    expect(toErrorResponse(new AiError('OPENAI_UNREACHABLE', 'cannot reach', 502)).statusCode).toBe(502);
  });

  it("Strava's status is never forwarded: its 401 is a 502 to the caller, whose own token is fine", () => {
    const res = toErrorResponse(new StravaError('STRAVA_UNAUTHORIZED', 'Strava refused the token', 401));
    expect(res.statusCode).toBe(502);
    expect(codeOf(res.body)).toBe('STRAVA_UNAUTHORIZED');
  });

  it('anything else is a 500 INTERNAL that says nothing about the error', () => {
    const res = toErrorResponse(new Error('relation "public.activities" does not exist at postgres://u:pw@h/db'));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('postgres');
  });
});
