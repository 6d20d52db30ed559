import { describe, expect, it } from 'vitest';
import type { Exchange } from '../../src/emulator/exchange.js';
import type { RequestLogEntry } from '../../src/emulator/request-log.js';
import { requestDetail, shownBody } from '../../src/inspector/request-detail.js';
import { athleteOfRequest } from '../../src/inspector/request-store.js';
import { REDACTED } from '../../src/util/redact.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJhcHBfbWV0YWRhdGEiOnsiYXRobGV0ZV9pZCI6NDJ9fQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const entry: RequestLogEntry = { type: 'request', time: '2026-01-01T00:00:00.000Z', requestId: '01ID', method: 'POST', path: '/auth/refresh', function: 'auth-refresh-token', status: 200, ms: 3, cache: null };

describe('request detail', () => {
  it('redacts secret-named JSON fields and tokens inside text, as the log does', () => {
    const body = Buffer.from(JSON.stringify({ refresh_token: 'abc', access_token: JWT, note: `see ${JWT}`, athlete_id: 42 }));
    const shown = shownBody(body, body.byteLength, 'application/json');
    const parsed = JSON.parse(shown.text!);
    expect(parsed).toEqual({ refresh_token: REDACTED, access_token: REDACTED, note: `see ${REDACTED}`, athlete_id: 42 });
  });

  it('says a body was truncated and shows it as text', () => {
    const shown = shownBody(Buffer.from('{"a":'), 5000, 'application/json');
    expect(shown).toEqual({ text: '{"a":', bytes: 5000, truncated: true });
  });

  it('copies as curl with $TOKEN for the credential and the body single-quoted', () => {
    const exchange: Exchange = {
      requestHeaders: { host: '127.0.0.1:8888', authorization: `Bearer ${JWT}`, 'content-type': 'application/json', 'x-note': "it's" },
      requestBody: Buffer.from('{"refresh_token":"r"}'),
      requestBytes: 21,
      requestBodyKept: true,
      responseHeaders: { 'content-type': 'application/json' },
      responseBody: Buffer.from('{}'),
      responseBytes: 2,
    };
    const d = requestDetail(entry, exchange, [], 'http://127.0.0.1:8888');
    expect(d.request!.headers.authorization).toBe(REDACTED);
    expect(d.curl).toContain('-X POST');
    expect(d.curl).toContain('"authorization: Bearer $TOKEN"');
    expect(d.curl).toContain(`'x-note: it'\\''s'`);
    expect(d.curl).toContain(REDACTED);
    expect(d.curl).not.toContain(JWT);
    expect(d.curl).not.toContain('host:');
    expect(d.curl.endsWith("'http://127.0.0.1:8888/auth/refresh'")).toBe(true);
  });

  it('reads the athlete a request was made as from its bearer token', () => {
    expect(athleteOfRequest(`Bearer ${JWT}`)).toBe(42);
    expect(athleteOfRequest('Bearer not.a-jwt')).toBeUndefined();
    expect(athleteOfRequest(undefined)).toBeUndefined();
  });
});

describe('inspector routes', () => {
  it('claims only the /_/api/ sections it answers, so later mounts (clock, snapshots) get the rest', async () => {
    const { API_SECTIONS, inspectorRoutes } = await import('../../src/inspector/inspector.js');
    const routes = inspectorRoutes({} as never, {} as never, {} as never);
    const sections = new Set(routes.map((r) => r.path.split('/')[1]));
    expect([...sections].sort()).toEqual([...API_SECTIONS].sort());
  });
});
