import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_HEADER, createAdminGuard, type AdminGuard } from '../../src/control/admin-guard.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A real server that answers 200 {ok:true} behind the guard. */
async function guarded(makeGuard: (port: () => number) => AdminGuard, host = '127.0.0.1'): Promise<{ port: number; guard: AdminGuard }> {
  let port = 0;
  const guard = makeGuard(() => port);
  server = createServer((req, res) => {
    const refused = guard.check(req);
    res.writeHead(refused?.statusCode ?? 200, { 'content-type': 'application/json' });
    res.end(refused?.body ?? '{"ok":true}');
  });
  await new Promise<void>((r) => server!.listen(0, host, () => r()));
  port = (server!.address() as AddressInfo).port;
  return { port, guard };
}

function call(port: number, opts: { method?: string; headers?: Record<string, string> }): Promise<{ status: number; body: { error?: { code: string } } }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/_/api/x', method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { error?: { code: string } } }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admin guard', () => {
  it('answers loopback hosts and refuses a rebinding Host such as evil.example', async () => {
    const { port } = await guarded((p) => createAdminGuard({ boundHost: '127.0.0.1', port: p }));
    expect((await call(port, { headers: { host: `127.0.0.1:${port}` } })).status).toBe(200);
    expect((await call(port, { headers: { host: `localhost:${port}` } })).status).toBe(200);
    const evil = await call(port, { headers: { host: `evil.example:${port}` } });
    expect(evil.status).toBe(403);
    expect(evil.body.error?.code).toBe('HOST_NOT_ALLOWED');
  });

  it('refuses a state-changing call without the per-run token, and with a foreign Origin even with it', async () => {
    const { port, guard } = await guarded((p) => createAdminGuard({ boundHost: '127.0.0.1', port: p }));
    const host = `127.0.0.1:${port}`;
    expect((await call(port, { method: 'POST', headers: { host } })).body.error?.code).toBe('ADMIN_TOKEN_REQUIRED');
    expect((await call(port, { method: 'POST', headers: { host, [ADMIN_TOKEN_HEADER]: 'wrong' } })).status).toBe(403);
    expect((await call(port, { method: 'POST', headers: { host, [ADMIN_TOKEN_HEADER]: guard.token } })).status).toBe(200);
    expect((await call(port, { method: 'POST', headers: { host, origin: `http://localhost:${port}`, [ADMIN_TOKEN_HEADER]: guard.token } })).status).toBe(200);
    const foreign = await call(port, { method: 'POST', headers: { host, origin: 'http://evil.example', [ADMIN_TOKEN_HEADER]: guard.token } });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error?.code).toBe('ORIGIN_NOT_ALLOWED');
    const otherPort = await call(port, { method: 'POST', headers: { host, origin: `http://127.0.0.1:${port + 1}`, [ADMIN_TOKEN_HEADER]: guard.token } });
    expect(otherPort.status).toBe(403);
  });

  it('off loopback it is disabled without the service-role key, and needs the key as a Bearer token with it', async () => {
    const off = await guarded((p) => createAdminGuard({ boundHost: '0.0.0.0', port: p }), '127.0.0.1');
    expect((await call(off.port, { headers: { host: `127.0.0.1:${off.port}` } })).body.error?.code).toBe('ADMIN_DISABLED');
    await new Promise<void>((r) => server!.close(() => r()));
    const keyed = await guarded((p) => createAdminGuard({ boundHost: '0.0.0.0', port: p, serviceRoleKey: 'svc-key' }), '127.0.0.1');
    const host = `127.0.0.1:${keyed.port}`;
    expect((await call(keyed.port, { headers: { host } })).body.error?.code).toBe('ADMIN_KEY_REQUIRED');
    expect((await call(keyed.port, { headers: { host, authorization: 'Bearer svc-key' } })).status).toBe(200);
  });
});
