#!/usr/bin/env node
// Startup cost of the CLI vs a bare Node process, measured side by side in one run.
// Usage: npm run build && node bench/startup.js [runs=30]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 30);
const bin = fileURLToPath(new URL('../bin/veloready.js', import.meta.url));
const cases = {
  'node -e 0': ['-e', '0'],
  'veloready --help': ['--', bin, '--help'],
  'veloready --version': ['--', bin, '--version'],
  // Commands that never reach a site: no HTTP client loaded.
  'veloready token mint': ['--', bin, 'token', 'mint', '--athlete', '1', '--secret', 'bench-secret-0123456789abcdef0123'],
  'veloready backfill --dry-run': ['--', bin, 'backfill', '--athlete', '1', '--dry-run', '--url', 'http://127.0.0.1:1'],
};

function timeOnce(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < 3; i++) for (const args of Object.values(cases)) timeOnce(args); // warm the page cache
// Interleave the cases so machine noise hits all of them alike.
for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(cases)) samples[name].push(timeOnce(args));

const base = median(samples['node -e 0']);
console.log(`runs: ${runs} each, interleaved; node ${process.version}`);
for (const [name, xs] of Object.entries(samples)) {
  const m = median(xs);
  console.log(`${name.padEnd(30)} median ${m.toFixed(1).padStart(6)} ms   ratio ${(m / base).toFixed(2)}×`);
}
const worst = Math.max(median(samples['veloready --help']), median(samples['veloready --version'])) / base;
console.log(`target ≤ 2.5× node -e 0: ${worst <= 2.5 ? 'met' : 'NOT met'} (${worst.toFixed(2)}×)`);
