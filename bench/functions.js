#!/usr/bin/env node
// Project functions against built-ins and against Netlify's own local runtime, in one run: the
// same v1 function returning the same 16 KB body served (a) as a built-in handler in serve's
// emulator, (b) as a project file through the isolation path (esbuild bundle, warm worker-thread
// pool), (c) by bare node:http, (d) by netlify-cli 27's `functions:serve --offline` (under Node 22,
// installed on first use into ~/.cache); 50 connections, req/s and p50/p99.
// Then the cold start of fixtures/sites/veloready's api-activities under `veloready serve`: its
// first request sent the moment serve says it is ready, and its first request after its file is
// saved, with the log line serve writes for each (the time the request waited for an instance).
// Usage: npm run build && node bench/functions.js [seconds=10] [connections=50] [rounds=3]   (seconds 0: the cold start only)
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BODY, BODY_HEADERS } from './functions-body.js';
import { benchEnv, freePort, load as loadOnce, netlifyCli, root, startNetlifyFunctionsServe, startServe } from './lib.js';

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 50);
const rounds = Number(process.argv[4] ?? 3);
const FUNCTION_PATH = '/.netlify/functions/static16k';
const load = (url) => loadOnce(url, { connections, seconds });

// One site for (b) and (d): the function file holds the body itself, byte for byte the built-in's.
const site = mkdtempSync(join(tmpdir(), 'vr-bench-fn-'));
mkdirSync(join(site, 'netlify', 'functions'), { recursive: true });
symlinkSync(join(root, 'node_modules'), join(site, 'node_modules'), 'dir');
writeFileSync(
  join(site, 'netlify', 'functions', 'static16k.ts'),
  `export const handler = async () => ({ statusCode: 200, headers: ${JSON.stringify(BODY_HEADERS)}, body: ${JSON.stringify(BODY)} });\n`,
);

function startLocal(mode) {
  const child = spawn(process.execPath, [join(root, 'bench', 'functions-server.js'), mode, site], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /READY (\S+)/.exec(buf);
      if (m) resolve({ url: m[1], stop: async () => void child.kill() });
    });
    child.once('exit', (code) => reject(new Error(`${mode} server exited ${code}`)));
  });
}

const line = (name, r) => `${name.padEnd(60)} ${String(Math.round(r.rps)).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  non-2xx ${r.non2xx}  errors ${r.errors}`;

async function measure(name, server, path) {
  try {
    await load(`${server.url}${path}`); // warm-up round, not counted
    const r = await load(`${server.url}${path}`);
    console.log(line(name, r));
    return r;
  } finally {
    await server.stop();
  }
}

if (seconds > 0) await throughput();
rmSync(site, { recursive: true, force: true });

/**
 * (c) and (d) once each; (a) and (b) in alternating rounds (the order flips each round), both
 * servers up throughout, the ratio taken per round between neighbouring runs: on a shared
 * machine the built-in alone moves ±25% from one minute to the next. The verdict is the median round.
 */
async function throughput() {
  console.log(`node ${process.version}; ${connections} connections, ${seconds} s per run after a warm-up run; body ${Buffer.byteLength(BODY)} bytes; (a) and (b) in ${rounds} alternating rounds`);
  const results = {};
  results.bare = await measure('(c) bare node:http', await startLocal('bare'), '/');
  const builtin = await startLocal('builtin');
  const project = await startLocal('project');
  const rows = [];
  try {
    await load(`${builtin.url}${FUNCTION_PATH}`);
    await load(`${project.url}${FUNCTION_PATH}`);
    for (let i = 0; i < rounds; i++) {
      const round = {};
      for (const which of i % 2 ? ['project', 'builtin'] : ['builtin', 'project']) round[which] = await load(`${(which === 'builtin' ? builtin : project).url}${FUNCTION_PATH}`);
      round.ratio = round.project.rps / round.builtin.rps;
      rows.push(round);
      console.log(`  round ${i + 1}: built-in ${Math.round(round.builtin.rps)} req/s (p99 ${round.builtin.p99} ms), project ${Math.round(round.project.rps)} req/s (p99 ${round.project.p99} ms): ${(round.ratio * 100).toFixed(0)}%`);
    }
  } finally {
    await builtin.stop();
    await project.stop();
  }
  const median = [...rows].sort((a, b) => a.ratio - b.ratio)[Math.floor(rows.length / 2)];
  results.builtin = median.builtin;
  results.project = median.project;
  console.log(line('(a) built-in handler (median round)', results.builtin));
  console.log(line('(b) project function, worker pool (median round)', results.project));
  try {
    const cli = netlifyCli();
    const server = await startNetlifyFunctionsServe(cli, site, await freePort(), FUNCTION_PATH);
    results.netlify = await measure(`(d) netlify-cli ${cli.version} functions:serve (node ${cli.nodeVersion})`, server, FUNCTION_PATH);
  } catch (err) {
    console.log(`(d) netlify functions:serve not measured: ${err.message}`);
  }
  const p99s = rows.map((r) => r.project.p99);
  console.log(`project / built-in: ${(median.ratio * 100).toFixed(0)}% in the median round, ${rows.map((r) => `${(r.ratio * 100).toFixed(0)}%`).join(' ')} by round (target ≥ 50%); project p99 ${Math.min(...p99s)}–${Math.max(...p99s)} ms (target < 20 ms)`);
  if (results.netlify) {
    console.log(`project / netlify functions:serve: ${(results.project.rps / results.netlify.rps).toFixed(1)}× the req/s, p99 ${results.project.p99} vs ${results.netlify.p99} ms`);
  }
}

// Cold start under serve, started in a copy of the fixture site as `cd site && veloready serve` would.
const fixture = mkdtempSync(join(tmpdir(), 'vr-bench-cold-'));
cpSync(join(root, 'fixtures', 'sites', 'veloready'), fixture, { recursive: true, filter: (p) => !p.includes('/.netlify') });
symlinkSync(join(root, 'node_modules'), join(fixture, 'node_modules'), 'dir');
const dataDir = mkdtempSync(join(tmpdir(), 'vr-bench-cold-data-'));
const serve = await startServe(dataDir, { cwd: fixture });
try {
  const url = `${serve.ready.url}/api/activities`;
  const auth = { authorization: `Bearer ${serve.ready.demoToken}` };
  const timed = async () => {
    const started = performance.now();
    const res = await fetch(url, { headers: auth });
    await res.arrayBuffer();
    return { ms: performance.now() - started, res };
  };
  const first = await timed();
  const second = await timed();
  // The same MISS on the warm instance: what the first request would have cost without a cold start.
  execFileSync(process.execPath, ['--', join(root, 'bin', 'veloready.js'), '--data-dir', dataDir, 'cache', 'purge', '--prefix', 'activities:', '--yes'], { cwd: fixture, env: benchEnv, stdio: 'ignore' });
  const warmMiss = await timed();
  const entry = join(fixture, 'netlify', 'functions', 'api-activities.ts');
  // Once the warm-ups serve started are done, as when a developer saves a file.
  await new Promise((r) => setTimeout(r, 3000));
  const saved = performance.now();
  writeFileSync(entry, readFileSync(entry, 'utf8').replaceAll("'site-api-activities'", "'site-api-activities-edited'"));
  let afterSave;
  do afterSave = await timed();
  while (afterSave.res.headers.get('x-served-by') !== 'site-api-activities-edited' && performance.now() - saved < 10_000);
  const reloadMs = performance.now() - saved;
  // serve writes its log lines in batches (every 20 ms): let the last ones reach the file.
  await new Promise((r) => setTimeout(r, 200));
  const firstCall = (requestId) => serve.lines().find((l) => l.type === 'console' && l.function === 'api-activities' && l.requestId === requestId && /^(cold start|first call)/.test(l.text))?.text ?? '(no line)';
  const cache = (t) => t.res.headers.get('x-cache');
  console.log(`api-activities, first request at serve's ready: ${first.ms.toFixed(0)} ms (${cache(first)}), the next ${second.ms.toFixed(0)} ms (${cache(second)}), a ${cache(warmMiss)} on the warm instance ${warmMiss.ms.toFixed(0)} ms; log: ${firstCall(first.res.headers.get('x-nf-request-id'))}`);
  console.log(`api-activities, saved: the new code answered ${reloadMs.toFixed(0)} ms after the save (that request ${afterSave.ms.toFixed(0)} ms); log: ${firstCall(afterSave.res.headers.get('x-nf-request-id'))}`);
  console.log('target: cold start < 300 ms (first request after start, and after a reload)');
} finally {
  await serve.stop();
  rmSync(fixture, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}
