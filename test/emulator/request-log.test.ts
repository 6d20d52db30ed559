import { describe, expect, it } from 'vitest';
import type { FunctionDef } from '../../src/emulator/functions.js';
import { batchedLogWriter, createRequestLog, jsonLine, jsonLineWriter, textLineWriter, type LogEntry, type RequestLogEntry } from '../../src/emulator/request-log.js';
import { redactHeaders, redactPath, redactText } from '../../src/util/redact.js';
import { startEmulator } from './helpers.js';

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdHJhdmEtMTA0NjYyIn0.Zm9vYmFyYmF6cXV4';

describe('request log', () => {
  it('secrets in the query, headers and error messages never reach a log line', async () => {
    const leaky: FunctionDef = {
      name: 'auth-refresh-token',
      kind: 'sync',
      handler: async (e) => {
        throw new Error(`refresh failed for ${e.headers.authorization} and key sk-abcdefghijklmnop1234`);
      },
    };
    const lines: string[] = [];
    const s = await startEmulator([leaky]);
    s.emulator.log.subscribe(jsonLineWriter((l) => lines.push(l)));
    s.emulator.log.subscribe(textLineWriter((l) => lines.push(l)));
    try {
      await (await fetch(`${s.url}/oauth/strava/callback?code=strava-code-123&state=app&scope=read`, { headers: { authorization: `Bearer ${JWT}` } })).text();
      await (await fetch(`${s.url}/auth/refresh?refresh_token=rt-secret-9&access_token=at-secret-8&api_key=k-7`, { method: 'POST', headers: { authorization: `Bearer ${JWT}` } })).text();
    } finally {
      await s.close();
    }
    const all = lines.join('');
    for (const secret of ['strava-code-123', 'rt-secret-9', 'at-secret-8', 'k-7', JWT, 'sk-abcdefghijklmnop1234']) {
      expect(all, secret).not.toContain(secret);
    }
    const requests = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogEntry);
    expect(requests[0]).toMatchObject({ type: 'request', path: '/oauth/strava/callback?code=[REDACTED]&state=app&scope=read', function: 'oauth-strava-token-exchange' });
    expect(requests.find((e) => e.type === 'error')).toMatchObject({ function: 'auth-refresh-token', message: expect.stringContaining('Bearer [REDACTED]') });
    expect(all).toContain('refresh_token=[REDACTED]&access_token=[REDACTED]&api_key=[REDACTED]');
  });

  it('tokens in the path itself never reach a plain or JSON log line; the rest of the path does', async () => {
    const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123';
    const stravaToken = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c'; // 40 hex, as Strava issues
    const refresh = 'q1Zx8vL3mN0pR7sT2uW5yA9bC4dE6fG8hJ1kL3mN5pQ'; // 32 bytes base64url
    const lines: string[] = [];
    const s = await startEmulator();
    s.emulator.log.subscribe(jsonLineWriter((l) => lines.push(l)));
    s.emulator.log.subscribe(textLineWriter((l) => lines.push(l)));
    const jobId = '0b7e1d2c-3a4f-4b5c-8d6e-7f8091a2b3c4';
    try {
      for (const path of [
        `/api/jobs/${JWT}`,
        `/some/${JWT}/path`,
        `/.netlify/functions/${key}`,
        `/api/streams/${stravaToken}?resolution=high`,
        `/auth/refresh/${refresh}/x?note=${refresh}&${JWT}`,
        `/api/jobs/${jobId}?limit=5`,
      ]) {
        await (await fetch(`${s.url}${path}`)).text();
      }
    } finally {
      await s.close();
    }
    const all = lines.join('');
    for (const secret of [JWT, JWT.split('.')[2]!, key, stravaToken, refresh]) expect(all, secret).not.toContain(secret);
    const paths = lines.filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as RequestLogEntry).path);
    expect(paths).toEqual([
      '/api/jobs/[REDACTED]',
      '/some/[REDACTED]/path',
      '/.netlify/functions/[REDACTED]',
      '/api/streams/[REDACTED]?resolution=high',
      '/auth/refresh/[REDACTED]/x?note=[REDACTED]&[REDACTED]',
      `/api/jobs/${jobId}?limit=5`,
    ]);
    expect(all).toContain(' GET /some/[REDACTED]/path ');
  });

  it('redacts credential headers, and JWTs or bearer tokens in free text', () => {
    expect(redactHeaders({ authorization: 'Bearer x', 'x-api-key': 'k', cookie: 'sb=1', 'content-type': 'application/json', 'x-note': `tok ${JWT}` })).toEqual({
      authorization: '[REDACTED]',
      'x-api-key': '[REDACTED]',
      cookie: '[REDACTED]',
      'content-type': 'application/json',
      'x-note': 'tok [REDACTED]',
    });
    expect(redactText(`Authorization: Bearer abc.def-ghi`)).toBe('Authorization: Bearer [REDACTED]');
    expect(redactText('connect ECONNREFUSED postgres://postgres:hunter2@db:5432/vr failed')).toBe('connect ECONNREFUSED postgres://postgres:[REDACTED]@db:5432/vr failed');
    expect(redactText('see http://127.0.0.1:8888/api/activities')).toBe('see http://127.0.0.1:8888/api/activities');
    expect(redactPath('/webhooks/strava?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=15f7d1a91c1f40f8a748fd134752feb3')).toBe(
      '/webhooks/strava?hub.mode=subscribe&hub.verify_token=[REDACTED]&hub.challenge=15f7d1a91c1f40f8a748fd134752feb3',
    );
    expect(redactPath('/api/activities?limit=5')).toBe('/api/activities?limit=5');
  });

  it('several subscribers each get every entry; a throwing one does not stop the others', () => {
    const log = createRequestLog({ keepRecent: 2 });
    const a: LogEntry[] = [];
    log.subscribe(() => {
      throw new Error('dashboard crashed');
    });
    const off = log.subscribe((e) => a.push(e));
    const entry = { time: '2026-01-01T00:00:00.000Z', requestId: 'r', method: 'GET', path: '/x', function: null, status: 200, ms: 1 };
    log.request({ ...entry, cache: 'MISS' });
    off();
    log.request(entry);
    log.request(entry);
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ cache: 'MISS' });
    expect(log.recent()).toHaveLength(2);
  });

  it('keeps the last N entries, oldest first, however many came before', () => {
    const log = createRequestLog({ keepRecent: 3 });
    const entry = { time: '2026-01-01T00:00:00.000Z', method: 'GET', path: '/x', function: null, status: 200, ms: 1 };
    for (const id of ['a', 'b']) log.request({ ...entry, requestId: id });
    expect(log.recent().map((e) => (e.type === 'request' ? e.requestId : e.type))).toEqual(['a', 'b']);
    for (const id of ['c', 'd', 'e', 'f', 'g']) log.request({ ...entry, requestId: id });
    expect(log.recent().map((e) => (e.type === 'request' ? e.requestId : e.type))).toEqual(['e', 'f', 'g']);
  });

  it('a JSON line is one line of valid JSON that reads back as the entry, whatever the path holds', () => {
    const base: RequestLogEntry = {
      type: 'request', time: '2026-01-01T00:00:00.000Z', requestId: 'r-1', method: 'GET', path: '/x', function: null, status: 200, ms: 1.25, cache: null,
    };
    const entries: RequestLogEntry[] = [
      base,
      { ...base, path: '/a"b\\c\n\u0000\u2028é?q="x"', method: 'PO"ST', function: 'api-activities', cache: 'HIT' },
      { ...base, status: 202, cache: 'MISS', jobId: 'job-9' },
    ];
    for (const entry of entries) {
      const line = jsonLine(entry);
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
      expect(JSON.parse(line)).toEqual(entry);
    }
  });

  it('the batched writer sends the entries of one flush interval in one write, in order, and flushes on demand', async () => {
    const writes: string[] = [];
    const log = createRequestLog();
    const lines = batchedLogWriter(jsonLine, (chunk) => writes.push(chunk), { delayMs: 30 });
    log.subscribe(lines.listener);
    const request = (requestId: string) =>
      log.request({ time: '2026-11-25T00:00:00.000Z', requestId, method: 'GET', path: '/api/activities?access_token=secret-1', function: 'api-activities', status: 200, ms: 1 });
    request('a');
    await new Promise((r) => setImmediate(r));
    request('b');
    expect(writes).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(writes).toHaveLength(1);
    expect(writes[0]!.split('\n').filter(Boolean).map((l) => JSON.parse(l).requestId)).toEqual(['a', 'b']);
    expect(writes[0]).not.toContain('secret-1');
    request('c');
    lines.flush();
    expect(writes).toHaveLength(2);
    expect(JSON.parse(writes[1]!).requestId).toBe('c');
    await new Promise((r) => setTimeout(r, 60));
    expect(writes).toHaveLength(2);
  });

  it('the batched writer writes at once when a burst fills a batch, without waiting for the timer', () => {
    const writes: string[] = [];
    const lines = batchedLogWriter(jsonLine, (chunk) => writes.push(chunk), { delayMs: 60_000 });
    const log = createRequestLog();
    log.subscribe(lines.listener);
    for (let i = 0; i < 1024; i++) log.request({ time: '2026-11-25T00:00:00.000Z', requestId: `r${i}`, method: 'GET', path: '/x', function: null, status: 200, ms: 1 });
    expect(writes).toHaveLength(1);
    expect(writes[0]!.split('\n').filter(Boolean)).toHaveLength(1024);
    lines.flush();
    expect(writes).toHaveLength(1);
  });
});
