// Time to migrate an empty database from scratch: embedded PGlite (initdb + migrate) and, when
// DATABASE_URL is set, Postgres (create database + migrate). Run `npm run build` first.
//   node bench/db.js            [RUNS=3]
//
// Figures (2026-11-25, shared 2-core CI machine under load, PGlite 0.5.14, Postgres on 127.0.0.1):
//   PGlite    open (initdb) 4006 ms   migrate (shim + 4 files) 188 ms   second migrate (no-op) 8 ms
//   Postgres  create db      110 ms   migrate (shim + 4 files) 169 ms   second migrate (no-op) 4 ms
// Migrating is cheap on both; a first embedded open is dominated by PGlite's initdb, which is
// why test/helpers/db.ts copies a migrated template instead of migrating per test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../dist/src/db/migrate.js';
import { openPg } from '../dist/src/db/pg.js';
import { openPglite } from '../dist/src/db/pglite.js';

const RUNS = Number(process.env.RUNS ?? 3);

function ms(start) {
  return Math.round(performance.now() - start);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function pgliteRun() {
  const dataDir = mkdtempSync(join(tmpdir(), 'veloready-bench-db-'));
  try {
    let t = performance.now();
    const sql = await openPglite({ dataDir });
    const open = ms(t);
    t = performance.now();
    const result = await migrate(sql);
    const migrateMs = ms(t);
    t = performance.now();
    const again = await migrate(sql);
    const noop = ms(t);
    await sql.close();
    if (result.applied.length === 0 || again.applied.length !== 0) throw new Error('unexpected migrate result');
    // What every later command pays: opening the existing cluster (start-up, no initdb).
    t = performance.now();
    const reopened = await openPglite({ dataDir });
    const reopen = ms(t);
    await reopened.close();
    return { open, migrate: migrateMs, noop, reopen, files: result.applied.length };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function postgresRun(base) {
  const name = `veloready_bench_${process.pid}_${Date.now()}`;
  const admin = await openPg(base, { maxConnections: 1 });
  let t = performance.now();
  await admin.exec(`create database ${name}`);
  const create = ms(t);
  const url = new URL(base);
  url.pathname = `/${name}`;
  let sql;
  try {
    sql = await openPg(url.toString());
    t = performance.now();
    const result = await migrate(sql);
    const migrateMs = ms(t);
    t = performance.now();
    await migrate(sql);
    const noop = ms(t);
    return { open: create, migrate: migrateMs, noop, files: result.applied.length };
  } finally {
    await sql?.close();
    await admin.exec(`drop database if exists ${name} with (force)`);
    await admin.close();
  }
}

function report(label, runs) {
  const pick = (k) => median(runs.map((r) => r[k]));
  console.log(
    `${label.padEnd(9)} open/create ${String(pick('open')).padStart(5)} ms   migrate (shim + ${runs[0].files} files) ${String(pick('migrate')).padStart(5)} ms   ` +
      `second migrate (no-op) ${String(pick('noop')).padStart(4)} ms` +
      (runs[0].reopen === undefined ? '' : `   reopen ${String(pick('reopen')).padStart(5)} ms`) +
      `   (median of ${runs.length})`,
  );
}

const pglite = [];
for (let i = 0; i < RUNS; i++) pglite.push(await pgliteRun());
report('PGlite', pglite);

if (process.env.DATABASE_URL) {
  const pg = [];
  for (let i = 0; i < RUNS; i++) pg.push(await postgresRun(process.env.DATABASE_URL));
  report('Postgres', pg);
} else {
  console.log('Postgres  skipped (set DATABASE_URL)');
}
