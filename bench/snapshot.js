// Snapshot save and load of the demo data (one athlete, a year of rides), over a running serve
// (what `veloready snapshot save/load` does while serve runs) and at rest (no serve).
// Wall time per operation, and the CPU time this process spent on it (all its threads: serve's
// database thread, zlib's): the second is what a loaded machine distorts least.
// Run `npm run build` first.
//   node bench/snapshot.js            [RUNS=5]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from '../dist/src/serve/start.js';
import { loadSnapshot, saveSnapshot } from '../dist/src/snapshot/snapshot.js';
import { restingState } from '../dist/src/snapshot/states.js';

const RUNS = Number(process.env.RUNS ?? 5);
const SECRET = 'bench-snapshot-jwt-secret-0123456789abcdef';
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const mb = (b) => (b / 1024 / 1024).toFixed(2);
/** Runs `fn`; its result with `cpu`: milliseconds of this process's CPU time meanwhile. */
async function timed(fn) {
  const before = process.cpuUsage();
  const result = await fn();
  const used = process.cpuUsage(before);
  return { ...result, cpu: Math.round((used.user + used.system) / 1000) };
}
const line = (label, m) =>
  `${label}  save ${median(m.save)} ms (CPU ${median(m.saveCpu)} ms)   load ${median(m.load)} ms (CPU ${median(m.loadCpu)} ms)   (medians of ${RUNS}: ${m.save.join('/')} | ${m.load.join('/')})`;
const record = (m, saved, loaded) => {
  m.save.push(saved.ms);
  m.saveCpu.push(saved.cpu);
  m.load.push(loaded.ms);
  m.loadCpu.push(loaded.cpu);
};

const root = mkdtempSync(join(tmpdir(), 'veloready-bench-snapshot-'));
const dataDir = join(root, 'dd');
const file = join(root, 'demo.tar.gz');
try {
  const serve = await startServe({ dataDir, port: 0, pgPort: 0, jwtSecret: SECRET, schedule: false });
  const api = (body) =>
    fetch(`${serve.url}/_/api/snapshots`, { method: 'POST', headers: { 'x-veloready-token': serve.adminToken, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => {
      const json = await r.json();
      if (!r.ok) throw new Error(JSON.stringify(json));
      return json;
    });
  const live = { save: [], saveCpu: [], load: [], loadCpu: [] };
  for (let i = 0; i < RUNS; i++) {
    const saved = await timed(() => api({ action: 'save', file }));
    const loaded = await timed(() => api({ action: 'load', file }));
    record(live, saved, loaded);
    console.log(`  run ${i + 1}: save ${JSON.stringify(saved.steps)}  load ${JSON.stringify(loaded.steps)}`);
  }
  await serve.close();
  const rest = { save: [], saveCpu: [], load: [], loadCpu: [] };
  const state = restingState(dataDir, SECRET);
  for (let i = 0; i < RUNS; i++) {
    const saved = await timed(() => saveSnapshot(state, file));
    const loaded = await timed(() => loadSnapshot(state, file));
    record(rest, saved, loaded);
  }
  console.log(`demo data snapshot: ${mb(statSync(file).size)} MB`);
  console.log(line('running serve', live));
  console.log(line('at rest      ', rest));
} finally {
  rmSync(root, { recursive: true, force: true });
}
