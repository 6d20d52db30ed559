#!/usr/bin/env node
// What a one-shot command costs on the embedded database: `veloready db status` and a small
// `veloready seed` on a migrated data dir, wall time and CPU (user + system) of the whole process.
// Most of it is PGlite: starting its WebAssembly Postgres and compiling the code it runs.
// Usage: npm run build && node bench/embedded-command.js [runs=5]   (CPU from GNU time, /usr/bin/time)
//
// Figures (2026-12-03, shared 2-core machine, load average 2-3, Node 20.20, medians of 5):
//                                              db status               seed (1 athlete, 3 days)
//   before (shared_buffers 128 MB)             wall 1675  cpu 2310 ms  wall 1749  cpu 2430 ms
//   shared_buffers 32 MB                       wall 1376  cpu 2030 ms  wall 1403  cpu 2070 ms
//   and V8's baseline WebAssembly tier only    wall 1132  cpu 1250 ms  wall  980  cpu 1090 ms
// CPU above wall: V8 optimises on a second core, which a loaded machine does not have to spare.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 5);
const bin = fileURLToPath(new URL('../bin/veloready.js', import.meta.url));
const env = { ...process.env, NO_COLOR: '1', DATABASE_URL: '', VELOREADY_DATA_DIR: '' };

function run(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, '--', bin, ...args], { env, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`veloready ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { wall, cpu: (user + sys) * 1000 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dataDir = mkdtempSync(join(tmpdir(), 'vr-bench-embedded-'));
try {
  run(['--data-dir', dataDir, 'db', 'migrate']); // initdb + migrations, not measured
  const cases = {
    'db status': ['--data-dir', dataDir, 'db', 'status'],
    'seed (1 athlete, 3 days)': ['--data-dir', dataDir, 'seed', '--athletes', '1', '--days', '3', '--seed', '7'],
  };
  for (const [name, args] of Object.entries(cases)) {
    const samples = Array.from({ length: runs }, () => run(args));
    const wall = median(samples.map((s) => s.wall));
    const cpu = median(samples.map((s) => s.cpu));
    console.log(`${name.padEnd(26)} wall ${wall.toFixed(0).padStart(5)} ms   cpu ${cpu.toFixed(0).padStart(5)} ms   (median of ${runs})`);
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
