import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { readJob } from '../../src/ops/jobs.js';
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
