import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createFakeStrava, type FakeStrava } from '../../src/strava/fake-server.js';
import type { OutboundPolicy } from '../../src/runtime/outbound.js';
import { bundleForWorker } from '../helpers/worker-module.js';

/**
 * installOutbound runs inside a real worker thread, as serve's function runtime calls it; the
 * worker then makes requests the way project code does (global fetch, the undici package,
 * node:http's ESM named `get`, node:https `request`) and reports what came back.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ready = (async () => {
  const { installOutbound } = await import(workerData.outbound);
  installOutbound(workerData.policy);
})();
const viaNode = (mod, fn, op) => new Promise((resolve, reject) => {
  const req = mod[fn](op.url, { method: op.method ?? 'GET', headers: op.headers ?? {} }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => (body += c));
    res.on('end', () => resolve({ status: res.statusCode, body }));
  });
  req.on('error', reject);
  if (fn === 'request') req.end(op.body);
});
async function run(op) {
  await ready;
  switch (op.kind) {
    case 'fetch': {
      const res = await fetch(op.url, { method: op.method ?? 'GET', headers: op.headers, body: op.body });
      return { status: res.status, body: await res.text() };
    }
    case 'undici.request': {
      const { request } = await import(workerData.undici);
      const res = await request(op.url, { method: op.method ?? 'GET', headers: op.headers, body: op.body });
      return { status: res.statusCode, body: await res.body.text() };
    }
    case 'http.get': {
      // The ESM named export: installOutbound must have synced it.
      const { get } = await import('node:http');
      return viaNode({ get }, 'get', op);
    }
    case 'https.request':
      return viaNode(require('node:https'), 'request', op);
  }
  throw new Error('unknown op ' + op.kind);
}
parentPort.on('message', async ({ id, op }) => {
  const started = performance.now();
  try {
    const out = await run(op);
    parentPort.postMessage({ id, ...out, ms: performance.now() - started });
  } catch (err) {
    const cause = err.cause ? { message: err.cause.message, code: err.cause.code } : undefined;
    parentPort.postMessage({ id, error: { message: err.message, code: err.code, cause }, ms: performance.now() - started });
  }
});
`;

type Op = { kind: 'fetch' | 'undici.request' | 'http.get' | 'https.request'; url: string; method?: string; headers?: Record<string, string>; body?: string };
interface Outcome {
  status?: number;
  body?: string;
  error?: { message: string; code?: string; cause?: { message: string; code?: string } };
  ms: number;
}

const workers: Worker[] = [];
let outboundModule: string;
const undiciPath = createRequire(import.meta.url).resolve('undici');

function startWorker(policy: OutboundPolicy): (op: Op) => Promise<Outcome> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { outbound: outboundModule, undici: undiciPath, policy } });
  workers.push(worker);
  let next = 0;
  const pending = new Map<number, (o: Outcome) => void>();
  worker.on('message', (m: Outcome & { id: number }) => pending.get(m.id)?.(m));
  return (op) =>
    new Promise((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      worker.postMessage({ id, op });
    });
}

/** Stands in for serve: the real fake Strava under /strava, and an echo of what reached /openai/. */
let serve: Server;
let serveUrl: string;
let fakeStrava: FakeStrava;
let athleteId: number;

beforeAll(async () => {
  outboundModule = bundleForWorker('src/runtime/outbound.ts');
  fakeStrava = createFakeStrava({ basePath: '/strava' });
  athleteId = fakeStrava.directory.list()[0]!.profile.id;
  serve = createServer(async (req, res) => {
    if (await fakeStrava(req, res)) return;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, host: req.headers.host }));
  });
  await new Promise<void>((r) => serve.listen(0, '127.0.0.1', r));
  serveUrl = `http://127.0.0.1:${(serve.address() as AddressInfo).port}`;
});

afterAll(async () => {
  serve.closeAllConnections();
  await new Promise((r) => serve.close(r));
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

const offlinePolicy = (): OutboundPolicy => ({
  rewrites: { 'www.strava.com': `${serveUrl}/strava`, 'api.openai.com': `${serveUrl}/openai` },
  online: false,
});

describe('installOutbound in a worker thread', () => {
  it('global fetch to https://www.strava.com/api/v3/athlete reaches the fake Strava', async () => {
    const call = startWorker(offlinePolicy());
    const token = fakeStrava.issueTokens(athleteId).access_token;
    const out = await call({ kind: 'fetch', url: 'https://www.strava.com/api/v3/athlete', headers: { authorization: `Bearer ${token}` } });
    expect(out.error).toBeUndefined();
    expect(out.status).toBe(200);
    expect(JSON.parse(out.body!).id).toBe(athleteId);
  });

  it('undici.request POST https://www.strava.com/oauth/token exchanges a code at the fake Strava', async () => {
    const call = startWorker(offlinePolicy());
    const code = fakeStrava.issueCode(athleteId);
    const form = new URLSearchParams({ client_id: fakeStrava.clientId, client_secret: fakeStrava.clientSecret, code, grant_type: 'authorization_code' });
    const out = await call({
      kind: 'undici.request',
      url: 'https://www.strava.com/oauth/token',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(out.status).toBe(200);
    const body = JSON.parse(out.body!);
    expect(body.athlete.id).toBe(athleteId);
    expect(body.access_token).toMatch(/\w{20,}/);
  });

  it("node:http's get (ESM named export) to www.strava.com lists the athlete's activities, query kept", async () => {
    const call = startWorker(offlinePolicy());
    const token = fakeStrava.issueTokens(athleteId).access_token;
    const out = await call({ kind: 'http.get', url: 'http://www.strava.com/api/v3/athlete/activities?per_page=2', headers: { authorization: `Bearer ${token}` } });
    expect(out.error).toBeUndefined();
    expect(out.status).toBe(200);
    expect(JSON.parse(out.body!)).toHaveLength(2);
  });

  it('node:https request to api.openai.com arrives at serve under /openai with the path appended', async () => {
    const call = startWorker(offlinePolicy());
    const out = await call({ kind: 'https.request', url: 'https://api.openai.com/v1/chat/completions?x=1', method: 'POST', body: '{}' });
    expect(out.error).toBeUndefined();
    expect(JSON.parse(out.body!)).toEqual({ path: '/openai/v1/chat/completions?x=1', host: new URL(serveUrl).host });
  });

  it('loopback (serve itself) passes untouched while offline', async () => {
    const call = startWorker(offlinePolicy());
    const out = await call({ kind: 'fetch', url: `${serveUrl}/plain?a=b` });
    expect(JSON.parse(out.body!).path).toBe('/plain?a=b');
  });

  it.each(['fetch', 'undici.request', 'http.get', 'https.request'] as const)('%s to an unknown host fails at once, naming it and saying serve is offline', async (kind) => {
    const call = startWorker(offlinePolicy());
    const url = kind === 'http.get' ? 'http://api.example.com/v1/things' : 'https://api.example.com/v1/things';
    const out = await call({ kind, url });
    expect(out.status).toBeUndefined();
    // fetch reports every network failure as TypeError('fetch failed'); the reason is its cause.
    const error = kind === 'fetch' ? out.error!.cause! : out.error!;
    expect(error.code).toBe('OUTBOUND_OFFLINE');
    expect(error.message).toContain('api.example.com');
    expect(error.message).toMatch(/serve is offline/);
    // No DNS lookup, no connect attempt: refused well inside a resolver's 5 s timeout (the time
    // includes the worker's first import of the client, slow on a loaded 2-core machine).
    expect(out.ms).toBeLessThan(2500);
  });
});

/** A non-loopback address of this machine: a host the offline policy treats as external. */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe.skipIf(!lanAddress)('installOutbound online', () => {
  let external: Server;
  let externalUrl: string;
  beforeAll(async () => {
    external = createServer((req, res) => res.writeHead(200).end(`external ${req.url}`));
    await new Promise<void>((r) => external.listen(0, lanAddress, r));
    externalUrl = `http://${lanAddress}:${(external.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    external.closeAllConnections();
    await new Promise((r) => external.close(r));
  });

  it('offline refuses a non-loopback host by address and port; online lets fetch and http.get through', async () => {
    const offline = startWorker(offlinePolicy());
    const refused = await offline({ kind: 'fetch', url: `${externalUrl}/x` });
    expect(refused.error?.cause?.message).toContain(new URL(externalUrl).host);

    const online = startWorker({ ...offlinePolicy(), online: true });
    expect((await online({ kind: 'fetch', url: `${externalUrl}/x` })).body).toBe('external /x');
    expect((await online({ kind: 'http.get', url: `${externalUrl}/y` })).body).toBe('external /y');
    // Rewrites still apply online.
    const viaRewrite = await online({ kind: 'https.request', url: 'https://api.openai.com/v1/models' });
    expect(JSON.parse(viaRewrite.body!).path).toBe('/openai/v1/models');
  });
});
