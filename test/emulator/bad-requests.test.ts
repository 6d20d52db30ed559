import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { request } from 'undici';
import { loadBadRequests, requestOf } from '../helpers/bad-requests.js';
import { startEmulator, type Started } from './helpers.js';

const cases = loadBadRequests('emulator.json');

let s: Started;
beforeAll(async () => {
  s = await startEmulator([{ name: 'backfill-background', kind: 'background', handler: async () => ({ statusCode: 200 }) }]);
});
afterAll(() => s.close());

describe('hostile requests to the emulator (fixtures/bad-requests/emulator.json)', () => {
  it.each(cases)('$name → $expectStatus $expectCode, and the server keeps serving', async (c) => {
    const { method, ...rest } = requestOf(c);
    const res = await request(`${s.url}${c.path}`, { method: method as 'GET', ...rest });
    const text = await res.body.text();
    expect(res.statusCode).toBe(c.expectStatus);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(text).error.code).toBe(c.expectCode);
    expect((await fetch(`${s.url}/api/activities`)).status).toBe(200);
  });

  it('a client that hangs up halfway through its body does not break the server', async () => {
    const port = new URL(s.url).port;
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /api/ai-brief HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"half":');
        setTimeout(() => socket.destroy(), 20);
        socket.on('close', () => resolve());
      });
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(s.emulator.inFlight()).toBe(0);
    expect(s.emulator.log.recent().at(-1)).toMatchObject({ type: 'request', status: 499, function: 'ai-brief' });
    expect((await fetch(`${s.url}/api/activities`)).status).toBe(200);
  });
});
