// Seed benchmark: 1,000 athletes × 365 days into a fresh database on the machine's Postgres with
// bulk inserts, against one INSERT per row measured in the same run (on a subset, extrapolated).
// Usage: npm run build && node bench/seed.js [--athletes 1000] [--days 365] [--row-athletes 50] [--runs 3]
// DATABASE_URL picks the server (default postgres://postgres@127.0.0.1:5432/test).
import { parseArgs } from 'node:util';
import { ManualClock } from '../dist/src/clock.js';
import { migrate } from '../dist/src/db/migrate.js';
import { openPg } from '../dist/src/db/pg.js';
import { seedAthletes, seedDatabase } from '../dist/src/seed/seed.js';
import { activityRow, athleteRow, userRow, ACTIVITY_COLUMNS, ATHLETE_COLUMNS, USER_COLUMNS } from '../dist/src/seed/rows.js';
import { generateActivities } from '../dist/src/strava/generator.js';

const { values } = parseArgs({
  options: {
    athletes: { type: 'string', default: '1000' },
    days: { type: 'string', default: '365' },
    'row-athletes': { type: 'string', default: '50' },
    runs: { type: 'string', default: '3' },
  },
});
const ATHLETES = Number(values.athletes);
const DAYS = Number(values.days);
const ROW_ATHLETES = Number(values['row-athletes']);
const RUNS = Number(values.runs);
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const BASE = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function freshDb(suffix) {
  const name = `veloready_bench_seed_${process.pid}_${suffix}`;
  const admin = await openPg(BASE, { maxConnections: 1 });
  await admin.exec(`drop database if exists ${name} with (force)`);
  await admin.exec(`create database ${name}`);
  await admin.close();
  const url = new URL(BASE);
  url.pathname = `/${name}`;
  const sql = await openPg(url.toString());
  await migrate(sql);
  return {
    sql,
    async drop() {
      await sql.close();
      const again = await openPg(BASE, { maxConnections: 1 });
      await again.exec(`drop database if exists ${name} with (force)`);
      await again.close();
    },
  };
}

const insertOne = (table, columns) =>
  `insert into ${table} (${columns.map((c) => c.name).join(', ')}) values (${columns.map((c, i) => `$${i + 1}::${c.type}`).join(', ')}) on conflict do nothing`;

async function runBulk() {
  const db = await freshDb('bulk');
  try {
    const t0 = performance.now();
    const result = await seedDatabase(db.sql, { athletes: ATHLETES, days: DAYS, seed: 42, clock: new ManualClock(NOW) });
    return { seconds: (performance.now() - t0) / 1000, rows: result.inserted.users + result.inserted.athletes + result.inserted.activities, result };
  } finally {
    await db.drop();
  }
}

// One INSERT per row, same generator and rows, in one transaction (the strongest per-row baseline).
async function runPerRow() {
  const db = await freshDb('rows');
  let rows = 0;
  try {
    const nowIso = new Date(NOW).toISOString();
    const athletes = seedAthletes({ athletes: ROW_ATHLETES, seed: 42 });
    const t0 = performance.now();
    await db.sql.transaction(async (tx) => {
      for (const a of athletes) {
        await tx.query(insertOne('auth.users', USER_COLUMNS), userRow(a, '42', nowIso));
        await tx.query(insertOne('public.athletes', ATHLETE_COLUMNS), athleteRow(a, nowIso));
        rows += 2;
        for (const s of generateActivities(a, { endMs: NOW, days: DAYS })) {
          await tx.query(insertOne('public.activities', ACTIVITY_COLUMNS), activityRow(s));
          rows++;
        }
      }
    });
    return { seconds: (performance.now() - t0) / 1000, rows };
  } finally {
    await db.drop();
  }
}

// One INSERT per row without a transaction (autocommit: a commit per row), as naive code does it.
async function runAutocommit(athleteCount) {
  const db = await freshDb('autocommit');
  let rows = 0;
  try {
    const nowIso = new Date(NOW).toISOString();
    const t0 = performance.now();
    for (const a of seedAthletes({ athletes: athleteCount, seed: 42 })) {
      await db.sql.query(insertOne('auth.users', USER_COLUMNS), userRow(a, '42', nowIso));
      await db.sql.query(insertOne('public.athletes', ATHLETE_COLUMNS), athleteRow(a, nowIso));
      rows += 2;
      for (const s of generateActivities(a, { endMs: NOW, days: DAYS })) {
        await db.sql.query(insertOne('public.activities', ACTIVITY_COLUMNS), activityRow(s));
        rows++;
      }
    }
    return { seconds: (performance.now() - t0) / 1000, rows };
  } finally {
    await db.drop();
  }
}

// The machine is shared: alternate the two and keep each one's best of RUNS.
const bulkRuns = [];
const rowRuns = [];
for (let i = 0; i < RUNS; i++) {
  bulkRuns.push(await runBulk());
  rowRuns.push(await runPerRow());
}
const bulk = bulkRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const perRow = rowRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const bulkRows = bulk.rows;
const rowRows = perRow.rows;
const rowSeconds = perRow.seconds;
bulk.inserted = bulk.result.inserted;
const autocommit = await runAutocommit(Math.max(1, Math.round(ROW_ATHLETES / 5)));
const bulkRate = bulkRows / bulk.seconds;
const rowRate = rowRows / rowSeconds;
const extrapolated = bulkRows / rowRate;
console.log(`seed bench on ${new URL(BASE).host} (${ATHLETES} athletes × ${DAYS} days)`);
console.log(`bulk (unnest batches, one transaction): ${bulk.inserted.activities} activities + ${bulk.inserted.athletes} athletes + ${bulk.inserted.users} users = ${bulkRows} rows in ${bulk.seconds.toFixed(2)} s (${Math.round(bulkRate)} rows/s) ${bulk.seconds < 30 ? 'OK < 30 s' : 'OVER 30 s'}`);
console.log(`one INSERT per row (subset: ${ROW_ATHLETES} athletes): ${rowRows} rows in ${rowSeconds.toFixed(2)} s (${Math.round(rowRate)} rows/s); extrapolated to ${bulkRows} rows: ${extrapolated.toFixed(1)} s`);
const autoRate = autocommit.rows / autocommit.seconds;
console.log(`one INSERT per row, autocommit (subset: ${Math.max(1, Math.round(ROW_ATHLETES / 5))} athletes): ${autocommit.rows} rows in ${autocommit.seconds.toFixed(2)} s (${Math.round(autoRate)} rows/s); extrapolated: ${(bulkRows / autoRate).toFixed(1)} s, bulk is ${(bulkRate / autoRate).toFixed(1)}× faster`);
console.log(`all runs: bulk ${bulkRuns.map((r) => r.seconds.toFixed(2)).join(', ')} s; per-row ${rowRuns.map((r) => r.seconds.toFixed(2)).join(', ')} s (best of ${RUNS} used)`);
console.log(`speed-up vs per-row in one transaction (the strict baseline): ${(bulkRate / rowRate).toFixed(1)}× ${bulkRate / rowRate >= 10 ? 'OK ≥ 10×' : 'UNDER 10×'}`);
