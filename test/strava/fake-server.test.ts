import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { ManualClock } from '../../src/clock.js';
import { createAthleteDirectory } from '../../src/strava/fake-athletes.js';
import { createFakeStrava, redirectAllowed, startFakeStrava, type RunningFakeStrava } from '../../src/strava/fake-server.js';
import { FIRST_ATHLETE_ID } from '../../src/strava/generator.js';

const NOW = Date.UTC(2026, 10, 25, 10, 7, 0);
let running: RunningFakeStrava | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(opts: Parameters<typeof startFakeStrava>[0] = {}) {
  const clock = new ManualClock(NOW);
  running = await startFakeStrava({ clock, athletes: createAthleteDirectory({ seed: 42, count: 3, ids: [104662] }), ...opts });
  return { clock, url: running.url, fake: running.fake };
}

const json = async (res: Awaited<ReturnType<typeof request>>) => res.body.json() as Promise<Record<string, unknown>>;

describe('fake Strava OAuth', () => {
  it('shows a consent page listing seeded athletes and redirects back with code and state', async () => {
    const { url, fake } = await start();
    const q = new URLSearchParams({ client_id: fake.clientId, redirect_uri: 'http://localhost:8888/oauth/strava/callback', response_type: 'code', scope: 'read,activity:read_all', state: 'xyz<>' });
    const page = await request(`${url}/oauth/authorize?${q}`);
    expect(page.statusCode).toBe(200);
    const html = await page.body.text();
    expect(html).toContain('value="104662"');
    expect(html).toContain('xyz&lt;&gt;');
    const form = new URLSearchParams({ ...Object.fromEntries(q), athlete_id: '104662' });
    const redirect = await request(`${url}/oauth/authorize`, { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(redirect.statusCode).toBe(302);
    await redirect.body.dump();
    const location = new URL(String(redirect.headers.location));
    expect(location.origin + location.pathname).toBe('http://localhost:8888/oauth/strava/callback');
    expect(location.searchParams.get('state')).toBe('xyz<>');
    const code = location.searchParams.get('code')!;
    const token = await request(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: fake.clientId, client_secret: fake.clientSecret, code, grant_type: 'authorization_code' }),
    });
    const body = await json(token);
    expect(token.statusCode).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_at: NOW / 1000 + 6 * 3600, expires_in: 6 * 3600, athlete: { id: 104662 } });
    // A code works once.
    const again = await request(`${url}/oauth/token`, { method: 'POST', body: new URLSearchParams({ client_id: fake.clientId, client_secret: fake.clientSecret, code, grant_type: 'authorization_code' }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(again.statusCode).toBe(400);
    expect(await json(again)).toEqual({ message: 'Bad Request', errors: [{ resource: 'AuthorizationCode', field: 'code', code: 'invalid' }] });
  });

  it('rejects an unknown client_id, a bad response_type and a missing redirect_uri with 400', async () => {
    const { url, fake } = await start();
    for (const q of [
      { client_id: 'nope', redirect_uri: 'http://localhost/cb', response_type: 'code' },
      { client_id: fake.clientId, redirect_uri: 'http://localhost/cb', response_type: 'token' },
      { client_id: fake.clientId, response_type: 'code' },
    ]) {
      const res = await request(`${url}/oauth/authorize?${new URLSearchParams(q as Record<string, string>)}`);
      expect(res.statusCode).toBe(400);
      expect((await json(res)).message).toBe('Bad Request');
    }
  });

  it('redirects only to an app scheme, loopback, its own host or a callback domain: never to any site', async () => {
    const { url, fake } = await start();
    const authorize = (redirect_uri: string) =>
      request(`${url}/oauth/authorize?${new URLSearchParams({ client_id: fake.clientId, redirect_uri, response_type: 'code' })}`).then((r) => r.statusCode);
    expect(await authorize('https://evil.example/steal')).toBe(400);
    expect(await authorize('javascript:alert(1)')).toBe(400);
    expect(await authorize('file:///etc/passwd')).toBe(400);
    expect(await authorize('veloready://auth')).toBe(200);
    expect(await authorize('http://localhost:3000/cb')).toBe(200);
    expect(await authorize(`${url}/oauth/strava/callback`)).toBe(200);
    expect(redirectAllowed(new URL('https://api.veloready.app/cb'), undefined, ['veloready.app'])).toBe(true);
    expect(redirectAllowed(new URL('https://veloready.app.evil.example/cb'), undefined, ['veloready.app'])).toBe(false);
    expect(redirectAllowed(new URL('http://192.168.1.5:8888/cb'), '192.168.1.5:8888', [])).toBe(true);
  });

  it('answers deny with error=access_denied', async () => {
    const { url, fake } = await start();
    const form = new URLSearchParams({ client_id: fake.clientId, redirect_uri: 'myapp://cb', response_type: 'code', state: 's', deny: '1' });
    const res = await request(`${url}/oauth/authorize`, { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await res.body.dump();
    expect(String(res.headers.location)).toBe('myapp://cb?state=s&error=access_denied');
  });
});

describe('fake Strava API', () => {
  it('returns Strava\'s authorization error and rate-limit headers on every response', async () => {
    const { url } = await start();
    const res = await request(`${url}/api/v3/athlete`, { headers: { authorization: 'Bearer nope' } });
    expect(res.statusCode).toBe(401);
    expect(await json(res)).toEqual({ message: 'Authorization Error', errors: [{ resource: 'Athlete', field: 'access_token', code: 'invalid' }] });
    expect(res.headers['x-ratelimit-limit']).toBe('200,2000');
    expect(res.headers['x-ratelimit-usage']).toBe('1,1');
    expect(res.headers['x-readratelimit-limit']).toBe('100,1000');
    expect(res.headers['x-readratelimit-usage']).toBe('1,1');
  });

  it('rejects per_page over 200 and non-numeric params with 400', async () => {
    const { url, fake } = await start();
    const { access_token } = fake.issueTokens(FIRST_ATHLETE_ID);
    for (const q of ['per_page=201', 'page=0', 'before=yesterday']) {
      const res = await request(`${url}/api/v3/athlete/activities?${q}`, { headers: { authorization: `Bearer ${access_token}` } });
      expect(res.statusCode).toBe(400);
      expect((await json(res)).message).toBe('Bad Request');
    }
  });

  it('needs the activity:read scope for activities', async () => {
    const { url, fake } = await start();
    const { access_token } = fake.issueTokens(FIRST_ATHLETE_ID, { scope: 'read' });
    const res = await request(`${url}/api/v3/athlete/activities`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(res.statusCode).toBe(401);
    expect(await json(res)).toEqual({ message: 'Authorization Error', errors: [{ resource: 'AccessToken', field: 'activity:read_permission', code: 'missing' }] });
  });

  it('windows reset at the quarter hour and at UTC midnight', async () => {
    const { url, fake, clock } = await start();
    const { access_token } = fake.issueTokens(FIRST_ATHLETE_ID);
    const get = () => request(`${url}/api/v3/athlete`, { headers: { authorization: `Bearer ${access_token}` } }).then(async (r) => (await r.body.dump(), r.headers['x-ratelimit-usage']));
    expect(await get()).toBe('1,1');
    expect(await get()).toBe('2,2');
    clock.set(Date.UTC(2026, 10, 25, 10, 15, 0));
    expect(await get()).toBe('1,3');
    clock.set(Date.UTC(2026, 10, 26, 0, 0, 0));
    expect(fake.usage().overall).toEqual([0, 0]);
  });

  it('mounts under a prefix and leaves other paths to the host server', async () => {
    const fake = createFakeStrava({ basePath: '/strava', clock: new ManualClock(NOW) });
    const server = createServer((req, res) => {
      void fake(req, res).then((handled) => {
        if (!handled) res.writeHead(418).end('host');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const host = await request(`${base}/api/v3/athlete`);
      expect(host.statusCode).toBe(418);
      await host.body.dump();
      const mounted = await request(`${base}/strava/api/v3/athlete`);
      expect(mounted.statusCode).toBe(401);
      await mounted.body.dump();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('takes faults at runtime over HTTP and rejects malformed ones with 400', async () => {
    const { url, fake } = await start();
    const { access_token } = fake.issueTokens(FIRST_ATHLETE_ID);
    const bad = await request(`${url}/_fake/faults`, { method: 'POST', body: JSON.stringify({ errorRate: 3 }) });
    expect(bad.statusCode).toBe(400);
    expect((await json(bad)).error).toMatchObject({ code: 'BAD_FAULTS' });
    const ok = await request(`${url}/_fake/faults`, { method: 'POST', body: JSON.stringify({ forced: [{ route: 'GET /api/v3/athlete', status: 503, times: 1 }] }) });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
    const first = await request(`${url}/api/v3/athlete`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(first.statusCode).toBe(503);
    await first.body.dump();
    const second = await request(`${url}/api/v3/athlete`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(second.statusCode).toBe(200);
    await second.body.dump();
  });

  it('clearing the faults lets requests still waiting out an injected latency go on at once', async () => {
    // A clock that never wakes: only the change of faults can end the wait.
    const { url, fake } = await start({ clock: { now: () => NOW, sleep: () => new Promise<void>(() => undefined) } });
    const { access_token } = fake.issueTokens(FIRST_ATHLETE_ID);
    await (await request(`${url}/_fake/faults`, { method: 'POST', body: JSON.stringify({ latencyMs: 60_000 }) })).body.dump();
    let answered = false;
    const held = request(`${url}/api/v3/athlete`, { headers: { authorization: `Bearer ${access_token}` } }).finally(() => (answered = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false);
    await (await request(`${url}/_fake/faults`, { method: 'DELETE' })).body.dump();
    const res = await held;
    expect(res.statusCode).toBe(200);
    expect((await json(res)).id).toBe(FIRST_ATHLETE_ID);
  });
});

describe('fake Strava: what an athlete does on strava.com', () => {
  it('a deleted activity answers 404 and leaves the list; a revoked athlete\'s tokens are refused (methods and /_fake routes)', async () => {
    const { url, fake } = await start();
    const t = fake.issueTokens(104662);
    const auth = { authorization: `Bearer ${t.access_token}` };
    const list = (await (await request(`${url}/api/v3/athlete/activities`, { headers: auth })).body.json()) as Array<{ id: number }>;
    const [first, second] = list.map((a) => a.id) as [number, number];
    expect((await request(`${url}/api/v3/activities/${first}`, { headers: auth })).statusCode).toBe(200);
    fake.deleteActivity(104662, first);
    expect((await request(`${url}/api/v3/activities/${first}`, { headers: auth })).statusCode).toBe(404);
    expect((await request(`${url}/_fake/athletes/104662/activities/${second}`, { method: 'DELETE' })).statusCode).toBe(200);
    const after = (await (await request(`${url}/api/v3/athlete/activities`, { headers: auth })).body.json()) as Array<{ id: number }>;
    expect(after.map((a) => a.id)).not.toContain(first);
    expect(after.map((a) => a.id)).not.toContain(second);
    expect((await request(`${url}/_fake/athletes/104662/revoke`, { method: 'POST' })).statusCode).toBe(200);
    expect((await request(`${url}/api/v3/athlete`, { headers: auth })).statusCode).toBe(401);
  });
});
