#!/usr/bin/env node
// Official @netlify/blobs client against our protocol server (SQLite, WAL) and against the
// BlobsServer that @netlify/blobs ships, same workload, one run:
//   N set + N get of 2 KiB JSON, then one full list,
// first one request at a time (the latency one function invocation sees: handlers await each
// cache read), then CONCURRENCY in flight (throughput).
// On Node 20 the official client's own cost is mostly its transport, the built-in fetch (~300 µs of
// CPU per request here): with it, the client saturates its core before a fast server does. So the
// official client runs a second time with getStore's documented `fetch` option set to a small fetch
// over undici.request (same requests, same client code, cheaper transport), and a last pass sends
// the same protocol requests with undici.request alone: the servers' own capacity.
// Each server runs in its own process, so the client's CPU is not taken from the server's event loop.
// A third server that keeps values in a Map and sends two headers shows how fast the client itself
// can go: the ceiling of any server's wall-clock figure with that client on this machine.
// Besides wall-clock ops/s, each server reports the CPU time it spent (user + system, all threads)
// per operation: what the server itself costs, whichever side is the bottleneck.
// Usage: npm run build && node bench/blobs.js [N] [CONCURRENCY]
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getStore } from '@netlify/blobs';
import { BlobsServer } from '@netlify/blobs/server';
import { Agent, request } from 'undici';
import { startBlobsServer } from '../dist/src/blobs/server.js';
import { openSqliteBlobs } from '../dist/src/blobs/sqlite.js';

const N = Number(process.argv[2] ?? 10_000);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const SITE = 'bench-site';
const TOKEN = 'bench-token';
const VALUE = { athleteId: 104662, pad: 'x'.repeat(2048 - 40) };

async function pool(count, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

/** The same requests the official client makes (edge form), through undici.request. */
function leanStore(edgeURL, name, concurrency) {
  const dispatcher = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  const headers = { authorization: `Bearer ${TOKEN}` };
  const base = `${edgeURL}/${SITE}/site:${name}`;
  return {
    async setJSON(key, value) {
      const r = await request(`${base}/${key}`, { dispatcher, method: 'PUT', headers, body: JSON.stringify(value) });
      await r.body.dump();
      if (r.statusCode !== 200) throw new Error(`PUT ${r.statusCode}`);
    },
    async get(key) {
      const r = await request(`${base}/${key}`, { dispatcher, headers });
      return r.body.json();
    },
    async list() {
      const blobs = [];
      let cursor;
      do {
        const r = await request(`${base}${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`, { dispatcher, headers });
        const page = await r.body.json();
        blobs.push(...page.blobs);
        cursor = page.next_cursor;
      } while (cursor);
      return { blobs };
    },
  };
}

/** What the official client calls instead of Node's global fetch, through getStore's `fetch` option. */
function clientFetch(kind, concurrency) {
  if (kind === 'node') return undefined;
  const dispatcher = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  // 'request': undici.request answered as a WHATWG Response, body read whole.
  return async (url, init = {}) => {
    const r = await request(url, { dispatcher, method: (init.method ?? 'GET').toUpperCase(), headers: init.headers, body: init.body });
    const body = Buffer.from(await r.body.arrayBuffer());
    const status = r.statusCode;
    return new Response(status === 204 || status === 304 || body.length === 0 ? null : body, { status, headers: r.headers });
  };
}

async function workload(label, server, { lean, concurrency, fetch = 'node' }) {
  const edgeURL = server.url;
  const name = `bench-${lean ? 'lean' : `official-${fetch}`}-${concurrency}`;
  const store = lean
    ? leanStore(edgeURL, name, concurrency)
    : getStore({ name, siteID: SITE, token: TOKEN, edgeURL, fetch: clientFetch(fetch, concurrency) });
  const key = (i) => `activities/${String(i).padStart(6, '0')}`;
  let cpu = await server.cpu();
  let t = performance.now();
  await pool(N, concurrency, (i) => store.setJSON(key(i), { ...VALUE, i }));
  const setMs = performance.now() - t;
  const setCpu = (await server.cpu()) - cpu;
  cpu += setCpu;
  t = performance.now();
  await pool(N, concurrency, async (i) => {
    const v = await store.get(key(i), { type: 'json' });
    if (v?.i !== i) throw new Error(`${label}: wrong value for ${key(i)}`);
  });
  const getMs = performance.now() - t;
  const getCpu = (await server.cpu()) - cpu;
  t = performance.now();
  const { blobs } = await store.list();
  const listMs = performance.now() - t;
  if (blobs.length !== N) throw new Error(`${label}: listed ${blobs.length}, expected ${N}`);
  return {
    label,
    setOps: (N / setMs) * 1000,
    getOps: (N / getMs) * 1000,
    listMs,
    totalMs: setMs + getMs + listMs,
    setCpuUs: setCpu / N,
    getCpuUs: getCpu / N,
  };
}

/**
 * The least a server can do for these requests: values in a Map, no auth, no disk, two headers.
 * What the client achieves against it is the client's own ceiling on this machine.
 */
function startCeilingServer() {
  const values = new Map();
  const server = createServer((req, res) => {
    const [, , store, ...key] = req.url.split('?')[0].split('/');
    if (req.method === 'PUT') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        values.set(`${store}/${key.join('/')}`, Buffer.concat(chunks));
        res.writeHead(200, { etag: '"e"', 'content-length': '0' }).end();
      });
    } else if (key.length > 0) {
      const value = values.get(`${store}/${key.join('/')}`);
      res.writeHead(value ? 200 : 404, { etag: '"e"', 'content-length': String(value?.length ?? 0) }).end(value);
    } else {
      const blobs = [...values.keys()].filter((k) => k.startsWith(`${store}/`)).map((k) => ({ key: k.slice(store.length + 1), etag: '"e"' }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ blobs, directories: [] }));
    }
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

/** Child mode: start one server, report its URL, stop on disconnect. */
async function serve(kind, dir) {
  let stop;
  let url;
  if (kind === 'ours') {
    const sqlite = openSqliteBlobs({ path: join(dir, 'blobs.sqlite'), backgroundCheckpoints: true });
    const server = await startBlobsServer({ blobs: sqlite, token: TOKEN, siteID: SITE });
    url = server.url;
    stop = async () => {
      await server.close();
      await sqlite.close();
    };
  } else if (kind === 'theirs') {
    const server = new BlobsServer({ directory: join(dir, 'netlify'), token: TOKEN });
    const { port } = await server.start();
    url = `http://127.0.0.1:${port}`;
    stop = () => server.stop();
  } else {
    const server = startCeilingServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${server.address().port}`;
    stop = () => new Promise((resolve) => server.close(resolve)).then(() => server.closeAllConnections());
  }
  process.send({ url });
  process.on('message', (m) => {
    if (m === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send({ cpu: user + system });
    }
  });
  process.on('disconnect', () => stop().then(() => process.exit(0)));
}

function startChild(kind, dir) {
  const child = fork(new URL(import.meta.url).pathname, ['--serve', kind, dir], { stdio: 'inherit' });
  const cpu = () =>
    new Promise((resolve) => {
      child.once('message', (m) => resolve(m.cpu));
      child.send('cpu');
    });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ url: m.url, cpu, stop: () => child.disconnect() }));
    child.once('error', reject);
  });
}

if (process.argv[2] === '--serve') {
  await serve(process.argv[3], process.argv[4]);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'veloready-bench-blobs-'));
  try {
    const fmt = (r) =>
      `${r.label.padEnd(28)} set ${r.setOps.toFixed(0).padStart(7)} ops/s   get ${r.getOps.toFixed(0).padStart(7)} ops/s   ` +
      `list(${N}) ${r.listMs.toFixed(0).padStart(6)} ms   total ${(r.totalMs / 1000).toFixed(2)} s`;
    console.log(`N=${N} values of 2 KiB JSON, Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}`);
    const passes = [
      { title: 'official @netlify/blobs client, one request at a time:', lean: false, concurrency: 1 },
      { title: `official @netlify/blobs client, ${CONCURRENCY} in flight:`, lean: false, concurrency: CONCURRENCY },
      { title: `official client with a fetch over undici.request (getStore({ fetch })), ${CONCURRENCY} in flight:`, lean: false, concurrency: CONCURRENCY, fetch: 'request' },
      { title: `lean undici client, ${CONCURRENCY} in flight (same requests; shows server capacity):`, lean: true, concurrency: CONCURRENCY },
    ];
    for (const pass of passes) {
      const ours = await startChild('ours', dir);
      const a = await workload('veloready (SQLite)', ours, pass);
      ours.stop();
      const theirs = await startChild('theirs', dir);
      const b = await workload('@netlify/blobs BlobsServer', theirs, pass);
      theirs.stop();
      const ceiling = await startChild('ceiling', dir);
      const c = await workload('in-memory do-nothing server', ceiling, pass);
      ceiling.stop();
      console.log(`\n${pass.title}`);
      console.log(fmt(a));
      console.log(fmt(b));
      console.log(`${fmt(c)}   (the client's ceiling; server CPU per set ${c.setCpuUs.toFixed(0)} µs, get ${c.getCpuUs.toFixed(0)} µs)`);
      console.log(
        `ratio (ours / theirs): set ${(a.setOps / b.setOps).toFixed(1)}x   get ${(a.getOps / b.getOps).toFixed(1)}x   ` +
          `list ${(b.listMs / a.listMs).toFixed(1)}x   overall ${(b.totalMs / a.totalMs).toFixed(1)}x (target >= 3x)`,
      );
      console.log(
        `server CPU per op: ours set ${a.setCpuUs.toFixed(0)} µs, get ${a.getCpuUs.toFixed(0)} µs; ` +
          `theirs set ${b.setCpuUs.toFixed(0)} µs, get ${b.getCpuUs.toFixed(0)} µs → theirs costs ` +
          `${((b.setCpuUs + b.getCpuUs) / (a.setCpuUs + a.getCpuUs)).toFixed(1)}x ours per set+get`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
