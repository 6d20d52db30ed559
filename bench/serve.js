#!/usr/bin/env node
// Throughput of `veloready serve` on GET /api/activities (cache HIT and forced MISS) against a bare
// node:http server returning the same bytes (body and headers, no auth, no lookup) — the ceiling on
// this machine — in one run.
// serve, the bare server and the load generator (autocannon) are three separate processes; serve's
// request log (one JSON line per request) goes to a file, as with `veloready serve --json > serve.log`.
// The machines are shared VMs whose speed drifts by ±20% from one run to the next, so bare and HIT
// are measured in alternating rounds (the order flips each round) and the ratio is taken per round,
// between neighbouring runs; the verdict uses the median round.
// Usage: npm run build && node bench/serve.js [seconds=10] [connections=50] [rounds=5]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load as loadOnce, startServe } from './lib.js';

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 50);
const rounds = Number(process.argv[4] ?? 5);
const WARMUP_S = 2;
const dir = mkdtempSync(join(tmpdir(), 'vr-bench-serve-'));

function waitForLine(child, re) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d) => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) {
        child.stdout.off('data', onData);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready:\n${buf}`)));
  });
}

const load = (url, headers = {}, duration = seconds) => loadOnce(url, { connections, seconds: duration, headers });

const serve = await startServe(dir);
let bare;
try {
  const { ready } = serve;
  const token = ready.demoToken;
  const url = `${ready.url}/api/activities`;
  const auth = { authorization: `Bearer ${token}` };
  await (await fetch(url, { headers: auth })).arrayBuffer(); // MISS: fills the cache
  const hitResponse = await fetch(url, { headers: auth });
  const body = Buffer.from(await hitResponse.arrayBuffer());
  const file = join(dir, 'body.json');
  writeFileSync(file, body);
  // "The same bytes": the body and every header serve sends on a HIT (Node adds date and
  // keep-alive itself), so the load generator parses identical responses from both servers.
  const sameHeaders = Object.fromEntries([...hitResponse.headers].filter(([k]) => !['date', 'connection', 'keep-alive', 'transfer-encoding'].includes(k)));

  bare = spawn(
    process.execPath,
    [
      '-e',
      `const body = require('fs').readFileSync(${JSON.stringify(file)});
       const headers = ${JSON.stringify(sameHeaders)};
       require('http').createServer((req, res) => { res.writeHead(200, headers); res.end(body); })
         .listen(0, '127.0.0.1', function () { console.log('bare ' + this.address().port); });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [, barePort] = await waitForLine(bare, /bare (\d+)\n/);

  console.log(`node ${process.version}; ${connections} connections, ${rounds} rounds of ${seconds}s per server after ${WARMUP_S}s of warm-up; body ${body.length} bytes (${ready.demoAthleteId}'s activities)`);
  const bareUrl = `http://127.0.0.1:${barePort}/`;
  // Both servers get the same warm-up (JIT, connection pools) before the measured runs.
  await load(bareUrl, {}, WARMUP_S);
  await load(url, auth, WARMUP_S);
  const line = (name, r) =>
    `${name.padEnd(26)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   non-2xx ${r.non2xx}   errors ${r.errors}`;
  const results = [];
  for (let i = 0; i < rounds; i++) {
    const first = i % 2 === 0 ? 'bare' : 'hit';
    const r = {};
    for (const which of first === 'bare' ? ['bare', 'hit'] : ['hit', 'bare']) r[which] = which === 'bare' ? await load(bareUrl) : await load(url, auth);
    r.ratio = r.hit.rps / r.bare.rps;
    results.push(r);
    console.log(`round ${i + 1}: bare ${r.bare.rps.toFixed(0)} req/s, HIT ${r.hit.rps.toFixed(0)} req/s (p50 ${r.hit.p50} ms, p99 ${r.hit.p99} ms) → ${(r.ratio * 100).toFixed(1)}%`);
  }
  const median = [...results].sort((a, b) => a.ratio - b.ratio)[Math.floor(results.length / 2)];
  const miss = await load(url, { ...auth, 'cache-control': 'no-cache' });
  console.log('median round:');
  console.log(line('bare node:http (ceiling)', median.bare));
  console.log(line('serve HIT', median.hit));
  console.log(line('serve MISS (no-cache)', miss));
  const worstP99 = Math.max(...results.map((r) => r.hit.p99));
  const minHit = Math.min(...results.map((r) => r.hit.rps));
  console.log(`HIT vs bare: ${(median.ratio * 100).toFixed(0)}% (rounds: ${results.map((r) => `${(r.ratio * 100).toFixed(0)}%`).join(', ')})`);
  console.log(
    `targets: ≥ 5000 req/s ${minHit >= 5000 ? 'met' : 'NOT met'} (lowest round ${minHit.toFixed(0)}); p99 < 20 ms ${worstP99 < 20 ? 'met' : 'NOT met'} (worst round ${worstP99} ms); ≥ 50% of bare ${median.ratio >= 0.5 ? 'met' : 'NOT met'} (median round)`,
  );
} finally {
  bare?.kill();
  await serve.stop();
  rmSync(dir, { recursive: true, force: true });
}
