import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { bearer, startTestServe, type TestServe } from '../serve/helpers.js';
import { echo, startEmulator } from './helpers.js';

const APP = 'http://localhost:5173';
const preflight = (url: string, origin: string) =>
  fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });

describe("CORS on serve's built-in functions, for loopback origins", () => {
  let serve: TestServe;
  beforeAll(async () => {
    serve = await startTestServe();
  }, 60_000);
  afterAll(() => serve?.stop());

  it('a web app on another local port gets its preflight answered, then reads the answer', async () => {
    const pre = await preflight(`${serve.url}/api/activities?limit=1`, APP);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP);
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(pre.headers.get('access-control-allow-methods')).toContain('GET');

    const res = await fetch(`${serve.url}/api/activities?limit=1`, { headers: { origin: APP, ...bearer(serve.tokenFor(DEMO_ATHLETE_ID)) } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-expose-headers')).toContain('x-cache');
    await res.arrayBuffer();

    for (const origin of ['http://127.0.0.1:3000', 'http://[::1]:8080']) {
      expect((await preflight(`${serve.url}/.netlify/functions/ai-brief`, origin)).headers.get('access-control-allow-origin')).toBe(origin);
    }
  });

  it('any other origin gets no CORS headers', async () => {
    const pre = await preflight(`${serve.url}/api/activities`, 'https://evil.example');
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    await pre.arrayBuffer();
    const res = await fetch(`${serve.url}/api/activities`, { headers: { origin: 'http://localhost.evil.example:5173' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    await res.arrayBuffer();
  });
});

describe('a function without the built-ins\' CORS answers for itself', () => {
  it('its OPTIONS reaches the function, and no CORS header is added', async () => {
    const started = await startEmulator([{ name: 'project-fn', kind: 'sync', handler: echo }]);
    try {
      const res = await preflight(`${started.url}/.netlify/functions/project-fn`, APP);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { method: string }).method).toBe('OPTIONS');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await started.close();
    }
  });
});
