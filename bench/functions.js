#!/usr/bin/env node
// Project functions against built-ins, in one run: the same v1 function returning the same 16 KB
// body served (a) as a built-in handler in serve's emulator, (b) as a project file through the
// isolation path (esbuild bundle, warm worker-thread pool), (c) by bare node:http; 50 connections,
// req/s and p50/p99. Then the cold start of fixtures/sites/veloready's api-activities: its first
// request with no instance started ahead, and its first request after a reload.
// Usage: npm run build && node bench/functions.js [seconds=10] [connections=50]
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 50);
const root = fileURLToPath(new URL('..', import.meta.url));
const autocannon = join(root, 'node_modules', '.bin', 'autocannon');
const site = mkdtempSync(join(tmpdir(), 'vr-bench-fn-'));
mkdirSync(join(site, 'netlify', 'functions'), { recursive: true });
symlinkSync(join(root, 'node_modules'), join(site, 'node_modules'), 'dir');
writeFileSync(
  join(site, 'netlify', 'functions', 'static16k.ts'),
  `import { BODY, BODY_HEADERS } from '${join(root, 'bench', 'functions-body.js')}';\nexport const handler = async () => ({ statusCode: 200, headers: BODY_HEADERS, body: BODY });\n`,
);

function start(mode, dir = site) {
  const child = spawn(process.execPath, [join(root, 'bench', 'functions-server.js'), mode, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /READY (\S+)/.exec(buf);
      if (m) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`${mode} server exited ${code}`)));
  });
}

function load(url) {
  const out = execFileSync(autocannon, ['-c', String(connections), '-d', String(seconds), '-j', url], { maxBuffer: 64 << 20 });
  const r = JSON.parse(out.toString());
  return { rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

const results = {};
for (const mode of ['bare', 'builtin', 'project']) {
  const { child, url } = await start(mode);
  const path = mode === 'bare' ? '/' : '/.netlify/functions/static16k';
  load(`${url}${path}`); // warm-up round, not counted
  results[mode] = load(`${url}${path}`);
  child.kill();
  console.log(`${mode.padEnd(8)} ${String(results[mode].rps).padStart(6)} req/s  p50 ${results[mode].p50} ms  p99 ${results[mode].p99} ms  non-2xx ${results[mode].non2xx}  errors ${results[mode].errors}`);
}
console.log(`project / built-in: ${(results.project.rps / results.builtin.rps * 100).toFixed(0)}% (target ≥ 50%, p99 < 20 ms)`);

// Cold starts, in-process: the fixture site's api-activities, no warm-up.
const fixture = mkdtempSync(join(tmpdir(), 'vr-bench-cold-'));
cpSync(join(root, 'fixtures', 'sites', 'veloready'), fixture, { recursive: true, filter: (p) => !p.includes('/.netlify') });
symlinkSync(join(root, 'node_modules'), join(fixture, 'node_modules'), 'dir');
const { createProjectRuntime } = await import('../dist/src/runtime/project.js');
const { createRequestLog } = await import('../dist/src/emulator/request-log.js');
const { systemClock } = await import('../dist/src/clock.js');
const { syntheticEvent } = await import('../dist/src/emulator/invoke.js');
const log = createRequestLog();
const colds = [];
log.subscribe((e) => e.type === 'console' && /cold start/.test(e.text) && colds.push(e.text));
const runtime = await createProjectRuntime({ projectDir: fixture, builtins: [], clock: systemClock, log, prewarm: false });
runtime.connect({ env: { SUPABASE_URL: 'http://127.0.0.1:9', SUPABASE_SERVICE_ROLE_KEY: 'k' }, blobs: { url: 'http://127.0.0.1:9', token: 't', siteID: 's', deployID: '0' }, site: { id: 's', name: 's', url: 'http://127.0.0.1:9' }, outbound: { rewrites: {}, online: false } });
const fn = () => runtime.functions.get('api-activities');
const ctx = (id) => ({ functionName: 'api-activities', awsRequestId: id, params: {}, getRemainingTimeInMillis: () => 10_000 });
let t = performance.now();
await fn().handler(syntheticEvent({ path: '/api/activities' }), ctx('first'));
const firstMs = performance.now() - t;
const entry = join(fixture, 'netlify', 'functions', 'api-activities.ts');
writeFileSync(entry, (await import('node:fs')).readFileSync(entry, 'utf8').replaceAll("'site-api-activities'", "'site-api-activities-edited'"));
t = performance.now();
await runtime.reload([entry]);
await fn().handler(syntheticEvent({ path: '/api/activities' }), ctx('after-reload'));
const reloadMs = performance.now() - t;
console.log(`api-activities first request (cold): ${firstMs.toFixed(0)} ms; after a reload (rebuild + load in the warm instance + request): ${reloadMs.toFixed(0)} ms`);
console.log(colds.join('\n'));
await runtime.close();
rmSync(site, { recursive: true, force: true });
rmSync(fixture, { recursive: true, force: true });
