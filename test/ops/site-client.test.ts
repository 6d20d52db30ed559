import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createSiteClient } from '../../src/ops/site-client.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A site answering each request with the next scripted status (then the last one forever). */
async function scriptedSite(statuses: number[], headers: Record<string, string> = {}): Promise<{ url: string; hits: () => number }> {
  let n = 0;
  server = createServer((req, res) => {
    const status = statuses[Math.min(n++, statuses.length - 1)]!;
    res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? headers : {}) });
    res.end(JSON.stringify(status < 400 ? { ok: true } : { error: { code: `E${status}`, message: `scripted ${status}` } }));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, hits: () => n };
}

describe('the site client operator commands use', () => {
  it('retries 5xx with backoff and returns the eventual answer', async () => {
    const site = await scriptedSite([503, 502, 200]);
    const clock = new ManualClock(0);
    const waits: number[] = [];
    const client = createSiteClient({ baseUrl: site.url, clock, onRetry: (_r, ms) => waits.push(ms) });
    const res = await client.send({ method: 'GET', path: '/api/x' });
    expect(res.status).toBe(200);
    expect(site.hits()).toBe(3);
    expect(waits).toHaveLength(2);
    expect(waits[1]!).toBeGreaterThan(waits[0]! / 2); // backoff grows (with jitter)
    await client.close();
  });

  it('honours Retry-After on 429', async () => {
    const site = await scriptedSite([429, 200], { 'retry-after': '7' });
    const clock = new ManualClock(0);
    const client = createSiteClient({ baseUrl: site.url, clock });
    expect((await client.send({ method: 'GET', path: '/' })).status).toBe(200);
    expect(clock.now()).toBe(7000);
    await client.close();
  });

  it('does not sleep for an hour when a site asks to: one error saying how long it asked for', async () => {
    const site = await scriptedSite([429, 200], { 'retry-after': '3600' });
    const clock = new ManualClock(0);
    const client = createSiteClient({ baseUrl: site.url, clock });
    await expect(client.send({ method: 'GET', path: '/api/activities' })).rejects.toMatchObject({
      code: 'SITE_RATE_LIMITED',
      message: expect.stringContaining('asks to wait 3600 s'),
    });
    expect(site.hits()).toBe(1);
    expect(clock.now()).toBe(0);
    await client.close();
  });

  it('gives up with one error naming the URL and the status', async () => {
    const site = await scriptedSite([500]);
    const client = createSiteClient({ baseUrl: site.url, clock: new ManualClock(0), retries: 2 });
    await expect(client.send({ method: 'POST', path: '/.netlify/functions/cleanup' })).rejects.toMatchObject({
      code: 'SITE_ERROR',
      message: expect.stringMatching(new RegExp(`POST ${site.url}/.netlify/functions/cleanup answered 500 after 3 attempts: E500: scripted 500`)),
    });
    expect(site.hits()).toBe(3);
    await client.close();
  });

  it('a site that is down is SITE_UNREACHABLE after the retries', async () => {
    const site = await scriptedSite([200]);
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const client = createSiteClient({ baseUrl: site.url, clock: new ManualClock(0), retries: 1 });
    await expect(client.send({ method: 'GET', path: '/api/jobs/x' })).rejects.toMatchObject({ code: 'SITE_UNREACHABLE', message: expect.stringContaining(site.url) });
    await client.close();
  });

  it('4xx answers are returned, not retried', async () => {
    const site = await scriptedSite([404]);
    const client = createSiteClient({ baseUrl: site.url, clock: new ManualClock(0) });
    expect((await client.send({ method: 'GET', path: '/' })).status).toBe(404);
    expect(site.hits()).toBe(1);
    await client.close();
  });

  it('redacts secrets in the URL it names', async () => {
    const site = await scriptedSite([500]);
    const client = createSiteClient({ baseUrl: site.url.replace('http://', 'http://user:hunter2@'), clock: new ManualClock(0), retries: 0 });
    const err = await client.send({ method: 'GET', path: '/x?token=abc123' }).catch((e: Error) => e);
    expect(String((err as Error).message)).not.toContain('hunter2');
    expect(String((err as Error).message)).not.toContain('abc123');
    await client.close();
  });
});
