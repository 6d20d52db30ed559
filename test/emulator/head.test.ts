import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { bearer, startTestServe, type TestServe } from '../serve/helpers.js';

let serve: TestServe;
beforeAll(async () => {
  serve = await startTestServe();
}, 120_000);
afterAll(async () => serve?.stop());

/** The raw bytes a server sends for one request, read until it closes the connection. */
function rawExchange(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(head));
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

/** Headers that differ per request by design, and hop-by-hop ones (undici closes after a HEAD). */
const PER_REQUEST = new Set(['date', 'x-nf-request-id', 'connection', 'keep-alive']);
const stable = (h: Headers) => Object.fromEntries([...h].filter(([name]) => !PER_REQUEST.has(name)));

describe('HEAD on a GET route', () => {
  it('HEAD /api/activities answers like GET (status and headers) with no body on the wire', async () => {
    const auth = bearer(serve.tokenFor(DEMO_ATHLETE_ID));
    await (await fetch(`${serve.url}/api/activities?limit=5`, { headers: auth })).text(); // fills the cache: both reads below are HITs
    const get = await fetch(`${serve.url}/api/activities?limit=5`, { headers: auth });
    const body = await get.text();
    const head = await fetch(`${serve.url}/api/activities?limit=5`, { method: 'HEAD', headers: auth });
    expect(get.status).toBe(200);
    expect(head.status).toBe(200);
    expect(stable(head.headers)).toEqual(stable(get.headers));
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    expect(head.headers.get('x-cache')).toBe('HIT');

    const raw = await rawExchange(
      serve.url,
      `HEAD /api/activities?limit=5 HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth.authorization}\r\nConnection: close\r\n\r\n`,
    );
    const [headerBlock, rest] = raw.split('\r\n\r\n');
    expect(headerBlock).toMatch(/^HTTP\/1\.1 200 /);
    expect(headerBlock).toContain(`content-length: ${Buffer.byteLength(body)}`);
    expect(rest).toBe('');
  });

  it('HEAD without a token is the same 401 as GET; methods that are neither get 405 naming HEAD in Allow', async () => {
    const head = await fetch(`${serve.url}/api/activities`, { method: 'HEAD' });
    const get = await fetch(`${serve.url}/api/activities`);
    expect(head.status).toBe(401);
    expect(get.status).toBe(401);
    expect(head.headers.get('content-length')).toBe(get.headers.get('content-length'));
    const del = await fetch(`${serve.url}/api/activities`, { method: 'DELETE', headers: bearer(serve.tokenFor(DEMO_ATHLETE_ID)) });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD');
    // A POST-only function still refuses HEAD.
    const refresh = await fetch(`${serve.url}/auth/refresh`, { method: 'HEAD' });
    expect(refresh.status).toBe(405);
    expect(refresh.headers.get('allow')).toBe('POST');
  });
});
