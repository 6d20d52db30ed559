import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { readJob, toJobView } from '../../src/ops/jobs.js';
import { createSiteClient } from '../../src/ops/site-client.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

describe('reading a job from a site', () => {
  it('a site answering 200 with an HTML page (a SPA fallback) is a clear error, not a crash', async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>app</title>');
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const client = createSiteClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, clock: new ManualClock(0) });
    try {
      await expect(readJob(client, 'abc')).rejects.toMatchObject({ code: 'JOB_READ_FAILED', hint: 'is --url a VeloReady site?' });
    } finally {
      await client.close();
    }
  });
});

describe('backfill progress as a share of its date range (for the bar and its ETA)', () => {
  const since = '2025-01-01T00:00:00.000Z';
  const started = '2025-01-11T00:00:00.000Z';
  const day = 86_400_000;
  it('since alone (Strava lists oldest first): the span fetched grows forward from since', () => {
    const v = toJobView({ id: 'j', status: 'running', progress: { since, until: null, started_at: started, checkpoint: { page: 2, newest: Date.parse(since) + 4 * day } } });
    expect(v.fraction).toBeCloseTo(0.4, 5);
  });
  it('since and until (newest first): the span grows back from until', () => {
    const until = '2025-01-21T00:00:00.000Z';
    const v = toJobView({ id: 'j', status: 'running', progress: { since, until, started_at: started, checkpoint: { page: 2, oldest: Date.parse(until) - 5 * day } } });
    expect(v.fraction).toBeCloseTo(0.25, 5);
  });
  it('unknown without a since; complete when done', () => {
    expect(toJobView({ id: 'j', status: 'running', progress: { since: null, until: null, started_at: started, checkpoint: { page: 3 } } }).fraction).toBeUndefined();
    expect(toJobView({ id: 'j', status: 'running', progress: { since, until: null, started_at: started, checkpoint: { page: 3, done: true } } }).fraction).toBe(1);
  });
});
