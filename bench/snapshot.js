// Snapshot save and load of the demo data (one athlete, a year of rides), over a running serve
// (what `veloready snapshot save/load` does while serve runs) and at rest (no serve).
// Run `npm run build` first.
//   node bench/snapshot.js            [RUNS=3]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from '../dist/src/serve/start.js';
import { loadSnapshot, saveSnapshot } from '../dist/src/snapshot/snapshot.js';
import { restingState } from '../dist/src/snapshot/states.js';

const RUNS = Number(process.env.RUNS ?? 3);
const SECRET = 'bench-snapshot-jwt-secret-0123456789abcdef';
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const mb = (b) => (b / 1024 / 1024).toFixed(2);

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
  const live = { save: [], load: [] };
  for (let i = 0; i < RUNS; i++) {
    const saved = await api({ action: 'save', file });
    const loaded = await api({ action: 'load', file });
    live.save.push(saved.ms);
    live.load.push(loaded.ms);
    console.log(`  run ${i + 1}: save ${JSON.stringify(saved.steps)}  load ${JSON.stringify(loaded.steps)}`);
  }
  await serve.close();
  const rest = { save: [], load: [] };
  const state = restingState(dataDir, SECRET);
  for (let i = 0; i < RUNS; i++) {
    rest.save.push((await saveSnapshot(state, file)).ms);
    rest.load.push((await loadSnapshot(state, file)).ms);
  }
  console.log(`demo data snapshot: ${mb(statSync(file).size)} MB`);
  console.log(`running serve  save ${median(live.save)} ms   load ${median(live.load)} ms   (median of ${RUNS}: ${live.save.join('/')} | ${live.load.join('/')})`);
  console.log(`at rest        save ${median(rest.save)} ms   load ${median(rest.load)} ms   (median of ${RUNS}: ${rest.save.join('/')} | ${rest.load.join('/')})`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
