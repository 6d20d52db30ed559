import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { localKeys } from '../../src/supabase/keys.js';
import { TEST_SECRET, bearer, startTestServe, type TestServe } from './helpers.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A POST from a chosen loopback address. */
function sendFrom(localAddress: string, base: string, path: string, headers: Record<string, string>, body: string): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: 'POST', localAddress, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A POST with a body that is not JSON (a 400 from the function when it gets through). */
const postFrom = async (localAddress: string, base: string, path: string, token: string): Promise<number> =>
  (await sendFrom(localAddress, base, path, { authorization: `Bearer ${token}` }, 'not json')).status;

const refresh = (url: string) =>
  fetch(`${url}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: 'guess' }) });

describe('serve rate limits', () => {
  describe('default: login endpoints limited, /api/* not', () => {
    let serve: TestServe;
    beforeAll(async () => {
      serve = await startTestServe({ rateLimits: { login: { limit: 3, windowMs: 2000 } } });
    }, 120_000);
    afterAll(async () => serve?.stop());

    it('/auth/refresh: the budget, then 429 with Retry-After and the JSON error, then recovery after the window', async () => {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await refresh(serve.url)).status);
      expect(statuses).toEqual([401, 401, 401]);
      const limited = await refresh(serve.url);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('2');
      expect(limited.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await limited.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('RATE_LIMITED');
      expect(body.error.message).toContain('/auth/refresh');
      // Another login endpoint has its own budget.
      expect((await fetch(`${serve.url}/auth/v1/token?grant_type=password`, { method: 'POST', body: '{}' })).status).not.toBe(429);
      await new Promise((r) => setTimeout(r, 2100));
      expect((await refresh(serve.url)).status).toBe(401);
    });

    it('/auth/disconnect is limited per user as well as per address: the same user from another address is still refused', async () => {
      const token = serve.tokenFor(DEMO_ATHLETE_ID);
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push(await postFrom('127.0.0.1', serve.url, '/auth/disconnect', token));
      expect(codes).toEqual([400, 400, 400]);
      expect(await postFrom('127.0.0.2', serve.url, '/auth/disconnect', token)).toBe(429);
      expect(await postFrom('127.0.0.2', serve.url, '/auth/disconnect', serve.tokenFor(1_000_001))).not.toBe(429);
      expect(await postFrom('127.0.0.1', serve.url, '/auth/disconnect', serve.tokenFor(1_000_002))).toBe(429);
    });

    it('signing in is limited per email too: guesses at one account from another address are refused', async () => {
      const signIn = (from: string, email: string) =>
        sendFrom(from, serve.url, '/auth/v1/token?grant_type=password', { 'content-type': 'application/json', apikey: localKeys(TEST_SECRET).anonKey }, JSON.stringify({ email, password: 'guess' }));
      const first = [];
      for (let i = 0; i < 3; i++) first.push((await signIn('127.0.0.3', 'Victim@example.com')).status);
      expect(first).toEqual([400, 400, 400]);
      const limited = await signIn('127.0.0.4', 'victim@example.com ');
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toMatch(/^[12]$/);
      expect(JSON.parse(limited.body)).toMatchObject({ code: 429, error_code: 'over_request_rate_limit' });
      expect((await signIn('127.0.0.4', 'someone-else@example.com')).status).toBe(400);
    });

    it('/auth/refresh is limited per refresh token too, whatever the address', async () => {
      const refreshFrom = (from: string, token: string) =>
        sendFrom(from, serve.url, '/auth/refresh', { 'content-type': 'application/json' }, JSON.stringify({ refresh_token: token }));
      const first = [];
      for (let i = 0; i < 3; i++) first.push((await refreshFrom(`127.0.0.${5 + i}`, 'stolen-token')).status);
      expect(first).toEqual([401, 401, 401]);
      const limited = await refreshFrom('127.0.0.8', 'stolen-token');
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toMatch(/^[12]$/);
      expect(JSON.parse(limited.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
      expect((await refreshFrom('127.0.0.8', 'another-token')).status).toBe(401);
    });

    it('/api/* reads are not limited without --rate-limit', async () => {
      const token = serve.tokenFor(DEMO_ATHLETE_ID);
      const statuses = new Set<number>();
      for (let i = 0; i < 10; i++) statuses.add((await fetch(`${serve.url}/api/activities?limit=1`, { headers: bearer(token) })).status);
      expect([...statuses]).toEqual([200]);
    });
  });

  describe('--rate-limit: /api/* reads per user', () => {
    let serve: TestServe;
    beforeAll(async () => {
      serve = await startTestServe({ rateLimits: { api: { limit: 3, windowMs: 60_000 } } });
    }, 120_000);
    afterAll(async () => serve?.stop());

    it('a user past the budget gets 429 with Retry-After; another user is unaffected', async () => {
      const get = (token: string) => fetch(`${serve.url}/api/activities?limit=1`, { headers: bearer(token) });
      const mine = serve.tokenFor(DEMO_ATHLETE_ID);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await get(mine)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await get(mine);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(50);
      expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
      // Another user (a token for another athlete: 403 NO_ATHLETE or 200, but never 429).
      expect((await get(serve.tokenFor(1_000_001))).status).not.toBe(429);
    });
  });
});
