#!/usr/bin/env node
// Throughput of `veloready serve` on GET /api/activities (cache HIT and forced MISS) against a bare
// node:http server returning the same bytes (body and headers, no auth, no lookup) — the ceiling on
// this machine — in one run.
// serve, the bare server and the load generator (autocannon) are three separate processes; serve's
// request log (one JSON line per request) goes to a file, as with `veloready serve --json > serve.log`.
// Usage: npm run build && node bench/serve.js [seconds=10] [connections=50]
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 50);
const WARMUP_S = 2;
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'veloready.js');
const autocannon = join(root, 'node_modules', '.bin', 'autocannon');
const dir = mkdtempSync(join(tmpdir(), 'vr-bench-serve-'));
const env = { ...process.env, NO_COLOR: '1', DATABASE_URL: '', SUPABASE_JWT_SECRET: '' };

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

async function waitForFileLine(file, child, re) {
  let exited;
  child.once('exit', (code) => (exited = code));
  for (;;) {
    const m = re.exec(readFileSync(file, 'utf8'));
    if (m) return m;
    if (exited !== undefined) throw new Error(`exited ${exited} before ready:\n${readFileSync(file, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function load(url, headers = {}, duration = seconds) {
  const args = ['-c', String(connections), '-d', String(duration), '-j'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  const out = execFileSync(autocannon, [...args, url], { maxBuffer: 64 << 20, env });
  const r = JSON.parse(out.toString());
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, bytes: r.throughput.average };
}

const serveLog = join(dir, 'serve.log');
const serveOut = openSync(serveLog, 'w');
const serve = spawn(process.execPath, ['--', bin, '--data-dir', dir, 'serve', '--port', '0', '--pg-port', '0', '--no-ui', '--json'], { env, stdio: ['ignore', serveOut, 'inherit'] });
closeSync(serveOut);
let bare;
try {
  const [readyLine] = await waitForFileLine(serveLog, serve, /\{"type":"ready".*\}\n/);
  const ready = JSON.parse(readyLine);
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

  console.log(`node ${process.version}; ${connections} connections, ${seconds}s each after ${WARMUP_S}s of warm-up; body ${body.length} bytes (${ready.demoAthleteId}'s activities)`);
  // Both servers get the same warm-up (JIT, connection pools) before the measured run.
  const warm = (u, h) => (load(u, h, WARMUP_S), load(u, h));
  const rows = {
    'bare node:http (ceiling)': warm(`http://127.0.0.1:${barePort}/`),
    'serve HIT': warm(url, auth),
    'serve MISS (no-cache)': load(url, { ...auth, 'cache-control': 'no-cache' }),
  };
  for (const [name, r] of Object.entries(rows)) {
    console.log(`${name.padEnd(26)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   non-2xx ${r.non2xx}   errors ${r.errors}`);
  }
  const hit = rows['serve HIT'];
  const ratio = hit.rps / rows['bare node:http (ceiling)'].rps;
  console.log(`HIT vs bare: ${(ratio * 100).toFixed(0)}%`);
  console.log(`targets: ≥ 5000 req/s ${hit.rps >= 5000 ? 'met' : 'NOT met'}; p99 < 20 ms ${hit.p99 < 20 ? 'met' : 'NOT met'}; ≥ 50% of bare ${ratio >= 0.5 ? 'met' : 'NOT met'}`);
} finally {
  bare?.kill();
  serve.kill('SIGTERM');
  await new Promise((r) => serve.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
