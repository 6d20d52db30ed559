import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { captureExchange, type Exchange } from '../../src/emulator/exchange.js';
import { createRequestLog, type RequestLogEntry } from '../../src/emulator/request-log.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A server whose one handler writes through `respond`; returns the exchange captured with `cap` bytes. */
async function captured(respond: (res: import('node:http').ServerResponse) => void, cap: number): Promise<Exchange> {
  let exchange: Exchange | undefined;
  server = createServer((req, res) => {
    exchange = captureExchange(req, res, cap);
    respond(res);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const r = await fetch(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/x`, { headers: { authorization: 'Bearer abc' } });
  await r.arrayBuffer();
  return exchange!;
}

describe('exchange capture', () => {
  it("copies writeHead's headers and at most the capped bytes of a streamed body, counting them all", async () => {
    const x = await captured((res) => {
      res.setHeader('x-set', 'early');
      res.writeHead(201, { 'content-type': 'text/plain', 'x-cache': 'MISS' });
      res.write('hello ');
      res.write(Buffer.from('world, '));
      res.end('and more');
    }, 10);
    expect(x.requestHeaders.authorization).toBe('Bearer abc');
    expect(x.responseHeaders).toMatchObject({ 'x-set': 'early', 'content-type': 'text/plain', 'x-cache': 'MISS' });
    expect(x.responseBody.toString()).toBe('hello worl');
    expect(x.responseBytes).toBe('hello world, and more'.length);
  });

  it('takes the headers set with setHeader when the answer never calls writeHead', async () => {
    const x = await captured((res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    }, 1024);
    expect(x.responseHeaders['content-type']).toBe('application/json');
    expect(x.responseBody.toString()).toBe('{"ok":true}');
  });
});

describe('request log exchanges', () => {
  it('is capturing only while someone subscribes to exchanges, and hands each request its exchange', () => {
    const log = createRequestLog();
    expect(log.capturing).toBe(false);
    const seen: Array<[RequestLogEntry, Exchange]> = [];
    const off = log.subscribeExchanges((e, x) => seen.push([e, x]));
    expect(log.capturing).toBe(true);
    const exchange: Exchange = { requestHeaders: {}, requestBody: null, requestBytes: 0, requestBodyKept: false, responseHeaders: {}, responseBody: Buffer.alloc(0), responseBytes: 0 };
    log.request({ time: 't', requestId: 'r1', method: 'GET', path: '/a', function: null, status: 200, ms: 1, exchange });
    log.request({ time: 't', requestId: 'r2', method: 'GET', path: '/b', function: null, status: 200, ms: 1 });
    expect(seen.map(([e, x]) => [e.requestId, x])).toEqual([['r1', exchange]]);
    off();
    expect(log.capturing).toBe(false);
  });
});
