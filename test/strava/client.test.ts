import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createStravaClient } from '../../src/strava/client.js';
import { StravaError } from '../../src/strava/errors.js';
import { createAthleteDirectory } from '../../src/strava/fake-athletes.js';
import { startFakeStrava, type RunningFakeStrava } from '../../src/strava/fake-server.js';
import { FIRST_ATHLETE_ID, generateActivities, generateAthleteWithId } from '../../src/strava/generator.js';
import { normalizedPower } from '../../src/strava/metrics.js';
import { paginateActivities } from '../../src/strava/paginate.js';
import type { RateLimitEvent, StravaCredentials } from '../../src/strava/port.js';
import type { RateLimits } from '../../src/strava/rate-windows.js';

const NOW = Date.UTC(2026, 10, 25, 10, 7, 0);
let running: RunningFakeStrava | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function setup(opts: { limits?: RateLimits; days?: number; spreadThreshold?: number; maxRetries?: number } = {}) {
  const clock = new ManualClock(NOW);
  running = await startFakeStrava({ clock, days: opts.days ?? 365, limits: opts.limits, athletes: createAthleteDirectory({ seed: 42, count: 2 }) });
  const events: RateLimitEvent[] = [];
  const client = createStravaClient({
    baseUrl: running.url,
    clientId: running.fake.clientId,
    clientSecret: running.fake.clientSecret,
    clock,
    onRateLimit: (e) => events.push(e),
    spreadThreshold: opts.spreadThreshold,
    maxRetries: opts.maxRetries,
  });
  const t = running.fake.issueTokens(FIRST_ATHLETE_ID);
  const creds: StravaCredentials = { accessToken: t.access_token, refreshToken: t.refresh_token, expiresAt: t.expires_at };
  return { clock, fake: running.fake, url: running.url, client, creds, events };
}

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    expect(err).toBeInstanceOf(StravaError);
    return `${(err as StravaError).code}:${(err as StravaError).status}`;
  }
};

describe('Strava client against the fake Strava', () => {
  it('exchanges a code, reads the athlete, refreshes and deauthorizes', async () => {
    const { client, fake } = await setup();
    const tokens = await client.exchangeCode(fake.issueCode(FIRST_ATHLETE_ID));
    expect(tokens.athlete?.id).toBe(FIRST_ATHLETE_ID);
    const creds: StravaCredentials = { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresAt: tokens.expires_at };
    expect((await client.getAthlete(creds)).firstname).toBe(generateAthleteWithId(FIRST_ATHLETE_ID).profile.firstname);
    const refreshed = await client.refreshToken(tokens.refresh_token);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(await codeOf(client.refreshToken(tokens.refresh_token))).toBe('STRAVA_BAD_REQUEST:400');
    await client.deauthorize(refreshed.access_token);
    expect(await codeOf(client.getAthlete({ ...creds, accessToken: refreshed.access_token }))).toBe('STRAVA_UNAUTHORIZED:401');
    expect(await codeOf(client.exchangeCode('bogus'))).toBe('STRAVA_BAD_REQUEST:400');
  });

  it('pages through every activity, stopping at a short or empty page', async () => {
    const { client, creds, clock } = await setup();
    const expected = generateActivities(generateAthleteWithId(FIRST_ATHLETE_ID), { endMs: clock.now(), days: 365 });
    const divisor = Array.from({ length: 199 }, (_, i) => 200 - i).find((d) => expected.length % d === 0 && d > 1) ?? 1;
    for (const perPage of [200, divisor, divisor + 1, 7]) {
      const pages: number[] = [];
      const ids: number[] = [];
      for await (const { activities } of paginateActivities(client, creds, { perPage })) {
        pages.push(activities.length);
        ids.push(...activities.map((a) => a.id));
      }
      expect(ids).toEqual(expected.map((a) => a.id).reverse());
      expect(pages.every((n, i) => n === perPage || i === pages.length - 1)).toBe(true);
    }
    const after = Date.parse(expected[10]!.start_date) / 1000;
    const before = Date.parse(expected[20]!.start_date) / 1000;
    const slice = await client.listActivities(creds, { after, before, perPage: 200 });
    expect(slice.map((a) => a.id)).toEqual(expected.slice(11, 20).map((a) => a.id).reverse());
    const ascending = await client.listActivities(creds, { after, perPage: 3 });
    expect(ascending.map((a) => a.id)).toEqual(expected.slice(11, 14).map((a) => a.id));
    expect(await codeOf(client.listActivities(creds, { perPage: 201 }))).toBe('STRAVA_BAD_REQUEST:400');
  });

  it('answers 404 for unknown activities and for another athlete\'s', async () => {
    const { client, creds, clock } = await setup();
    const other = generateActivities(generateAthleteWithId(FIRST_ATHLETE_ID + 1), { endMs: clock.now(), days: 30 })[0]!;
    expect(await codeOf(client.getActivity(creds, 123))).toBe('STRAVA_NOT_FOUND:404');
    expect(await codeOf(client.getActivity(creds, other.id))).toBe('STRAVA_NOT_FOUND:404');
    expect(await codeOf(client.getStreams(creds, other.id, ['watts']))).toBe('STRAVA_NOT_FOUND:404');
  });

  it('serves streams whose NP matches the activity', async () => {
    const { client, creds } = await setup({ days: 14 });
    const [latest] = await client.listActivities(creds, { perPage: 5 });
    const detail = await client.getActivity(creds, latest!.id);
    expect(detail.resource_state).toBe(3);
    const streams = await client.getStreams(creds, latest!.id, ['watts', 'heartrate', 'time']);
    expect(Object.keys(streams).sort()).toEqual(['distance', ...(detail.has_heartrate ? ['heartrate'] : []), 'time', ...(detail.average_watts ? ['watts'] : [])].sort());
    if (detail.weighted_average_watts) {
      expect(Math.abs(normalizedPower(streams.watts!.data as number[]) - detail.weighted_average_watts)).toBeLessThanOrEqual(1);
    }
  });

  it('rejects a bad token with 401 and refreshes an expired one, persisting the new tokens', async () => {
    const { client, creds, fake, clock } = await setup();
    expect(await codeOf(client.getAthlete({ accessToken: 'bad', refreshToken: 'bad', expiresAt: 2e9 }))).toBe('STRAVA_UNAUTHORIZED:401');
    const saved: string[] = [];
    const expiring: StravaCredentials = { ...creds, onRefresh: (t) => void saved.push(t.access_token) };
    clock.advance(6 * 3600 * 1000);
    await client.getAthlete(expiring);
    expect(saved).toHaveLength(1);
    expect(expiring.accessToken).toBe(saved[0]);
    // Expired server-side while the client still thinks it is valid: a 401, one refresh, a retry.
    fake.expireToken(expiring.accessToken);
    await client.getAthlete(expiring);
    expect(saved).toHaveLength(2);
  });

  it('waits for the quarter hour on a 429 and then succeeds, in no wall time', async () => {
    const { client, creds, fake, clock, events } = await setup();
    fake.setFaults({ forced: [{ route: 'GET /api/v3/athlete', status: 429, times: 1 }] });
    const t0 = performance.now();
    await client.getAthlete(creds);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(events).toEqual([{ reason: '429', waitMs: 8 * 60_000, resetsAt: Date.UTC(2026, 10, 25, 10, 15, 0) }]);
    expect(clock.now()).toBe(Date.UTC(2026, 10, 25, 10, 15, 0));
  });

  it('spreads requests under a small 15-minute limit and never trips the server\'s 429', async () => {
    const { client, creds, clock, events } = await setup({ limits: { overall: { short: 10, daily: 1000 }, read: { short: 5, daily: 1000 } } });
    const times: number[] = [];
    for (let i = 0; i < 12; i++) {
      await client.getAthlete(creds);
      times.push(clock.now());
    }
    expect(events.filter((e) => e.reason === '429')).toEqual([]);
    expect(clock.now()).toBeGreaterThanOrEqual(Date.UTC(2026, 10, 25, 10, 30, 0));
    // Every spacing sleep is reported as a 15-minute-window wait ending at the next request.
    const spaced = events.filter((e) => e.reason === '15min');
    expect(spaced.length).toBeGreaterThan(0);
    expect(events).toEqual(spaced);
    for (const e of spaced) {
      expect(e.waitMs).toBeGreaterThan(0);
      expect(times).toContain(e.resetsAt);
    }
    const perQuarter = new Map<number, number>();
    for (const t of times) perQuarter.set(Math.floor(t / 900_000), (perQuarter.get(Math.floor(t / 900_000)) ?? 0) + 1);
    expect(Math.max(...perQuarter.values())).toBeLessThanOrEqual(5);
  });

  it('without spreading, waits for the next quarter hour once the window is used up', async () => {
    const { client, creds, clock, events } = await setup({ spreadThreshold: 1, limits: { overall: { short: 10, daily: 1000 }, read: { short: 5, daily: 1000 } } });
    for (let i = 0; i < 6; i++) await client.getAthlete(creds);
    expect(events).toEqual([{ reason: '15min', waitMs: 8 * 60_000, resetsAt: Date.UTC(2026, 10, 25, 10, 15, 0) }]);
    expect(clock.now()).toBe(Date.UTC(2026, 10, 25, 10, 15, 0));
  });

  it('waits until UTC midnight when the daily limit is used up', async () => {
    const { client, creds, clock, events } = await setup({ limits: { overall: { short: 100, daily: 3 }, read: { short: 100, daily: 3 } } });
    for (let i = 0; i < 4; i++) await client.getAthlete(creds);
    expect(events.map((e) => e.reason)).toContain('daily');
    expect(clock.now()).toBeGreaterThanOrEqual(Date.UTC(2026, 10, 26));
  });

  it('reports the spacing of a mostly used daily window as daily waits', async () => {
    const { client, creds, clock, events } = await setup({ limits: { overall: { short: 100, daily: 10 }, read: { short: 100, daily: 10 } } });
    for (let i = 0; i < 9; i++) await client.getAthlete(creds);
    // 8 of 10 used at 10:07: the ninth request waits half the time left until midnight, longer
    // than the 6 h token lives, so the client refreshes after the wait rather than meeting a 401.
    const midnight = Date.UTC(2026, 10, 26);
    expect(events).toEqual([{ reason: 'daily', waitMs: Math.ceil((midnight - NOW) / 2), resetsAt: NOW + Math.ceil((midnight - NOW) / 2) }]);
    expect(clock.now()).toBe(NOW + Math.ceil((midnight - NOW) / 2));
  });

  it('retries 5xx with backoff and gives up after the retry budget', async () => {
    const { client, creds, fake, clock } = await setup();
    fake.setFaults({ forced: [{ route: 'GET /api/v3/athlete', status: 502, times: 2 }] });
    await client.getAthlete(creds);
    expect(clock.now()).toBeGreaterThan(NOW + 500);
    fake.setFaults({ forced: [{ route: '*', status: 500 }] });
    expect(await codeOf(client.getAthlete(creds))).toBe('STRAVA_UNAVAILABLE:500');
  });

  it('rides out a 30 % seeded error rate with retries', async () => {
    const { client, creds, fake } = await setup({ maxRetries: 6 });
    fake.setFaults({ errorRate: 0.3, seed: 1 });
    for (let i = 0; i < 20; i++) expect((await client.getAthlete(creds)).id).toBe(FIRST_ATHLETE_ID);
  });

  it('retries network errors and then reports Strava unreachable', async () => {
    const { url, creds, clock } = await setup();
    await running!.close();
    running = undefined;
    const client = createStravaClient({ baseUrl: url, clientId: 'x', clientSecret: 'y', clock, maxRetries: 2 });
    expect(await codeOf(client.getAthlete(creds))).toBe('STRAVA_UNAVAILABLE:0');
  });

  it('reports a success body that is not JSON as a Strava error, not a SyntaxError', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html>captive portal</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as import('node:net').AddressInfo;
      const client = createStravaClient({ baseUrl: `http://127.0.0.1:${port}`, clientId: 'x', clientSecret: 'y', clock: new ManualClock(NOW) });
      expect(await codeOf(client.getAthlete({ accessToken: 'a', refreshToken: 'r', expiresAt: NOW / 1000 + 3600 }))).toBe('STRAVA_BAD_RESPONSE:200');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('adds injected latency on the clock', async () => {
    const { client, creds, fake, clock } = await setup();
    fake.setFaults({ latencyMs: 5000 });
    await client.getAthlete(creds);
    expect(clock.now()).toBe(NOW + 5000);
  });
});
