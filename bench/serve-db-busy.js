#!/usr/bin/env node
// Cached hits per second of `veloready serve` (GET /api/activities, X-Cache HIT) while a Postgres
// socket client keeps the embedded database busy (`select pg_sleep(5)` in a loop), against the
// same load with the database idle. Issue 15 §7's target: busy ≥ 80% of idle.
// serve and the load generator (autocannon) are separate processes; the psql-like client runs in
// this one. The machines are shared VMs whose speed drifts, so idle and busy alternate in rounds
// (the order flips each round), the ratio is taken per round and the verdict uses the median.
// Usage: npm run build && node bench/serve-db-busy.js [seconds=8] [connections=50] [rounds=3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { load as loadOnce, startServe } from './lib.js';

const seconds = Number(process.argv[2] ?? 8);
const connections = Number(process.argv[3] ?? 50);
const rounds = Number(process.argv[4] ?? 3);
const WARMUP_S = 2;
const SLEEP_S = 5;
const dir = mkdtempSync(join(tmpdir(), 'vr-bench-db-busy-'));

/** autocannon in its own process, so this one stays free for the socket client. */
const load = (url, headers, duration = seconds) => loadOnce(url, { connections, seconds: duration, headers });

/** A socket client running pg_sleep back to back until stopped; returns how many it completed. */
function keepDatabaseBusy(pgUrl) {
  const client = new pg.Client({ connectionString: pgUrl });
  let stop = false;
  let slept = 0;
  const running = (async () => {
    await client.connect();
    while (!stop) {
      await client.query(`select pg_sleep(${SLEEP_S})`);
      slept++;
    }
    await client.end();
  })();
  return async () => {
    stop = true;
    await running;
    return slept;
  };
}

const serve = await startServe(dir);
try {
  const { ready } = serve;
  const url = `${ready.url}/api/activities`;
  const auth = { authorization: `Bearer ${ready.demoToken}` };
  const pgUrl = `postgres://postgres@127.0.0.1:${ready.pgPort}/postgres`;
  await (await fetch(url, { headers: auth })).arrayBuffer(); // MISS: fills the cache
  const hit = await fetch(url, { headers: auth });
  await hit.arrayBuffer();
  if (hit.headers.get('x-cache') !== 'HIT') throw new Error(`expected a cache HIT, got ${hit.headers.get('x-cache')}`);

  console.log(`node ${process.version}; ${connections} connections, ${rounds} rounds of ${seconds}s each (idle, busy) after ${WARMUP_S}s of warm-up; busy = a socket client running select pg_sleep(${SLEEP_S}) in a loop`);
  await load(url, auth, WARMUP_S);
  const results = [];
  for (let i = 0; i < rounds; i++) {
    const r = {};
    for (const which of i % 2 === 0 ? ['idle', 'busy'] : ['busy', 'idle']) {
      if (which === 'idle') {
        r.idle = await load(url, auth);
      } else {
        const stop = keepDatabaseBusy(pgUrl);
        await new Promise((res) => setTimeout(res, 300)); // the first pg_sleep is running
        r.busy = await load(url, auth);
        r.slept = await stop();
      }
    }
    r.ratio = r.busy.rps / r.idle.rps;
    results.push(r);
    console.log(
      `round ${i + 1}: idle ${r.idle.rps.toFixed(0)} req/s (p99 ${r.idle.p99} ms), busy ${r.busy.rps.toFixed(0)} req/s (p99 ${r.busy.p99} ms, non-2xx ${r.busy.non2xx}, ${r.slept} pg_sleeps) → ${(r.ratio * 100).toFixed(1)}%`,
    );
  }
  const median = [...results].sort((a, b) => a.ratio - b.ratio)[Math.floor(results.length / 2)];
  console.log(`busy vs idle: ${(median.ratio * 100).toFixed(0)}% (rounds: ${results.map((r) => `${(r.ratio * 100).toFixed(0)}%`).join(', ')}); target ≥ 80% ${median.ratio >= 0.8 ? 'met' : 'NOT met'} (median round)`);
} finally {
  await serve.stop();
  rmSync(dir, { recursive: true, force: true });
}
