import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { openPg } from '../../src/db/pg.js';
import type { Sql } from '../../src/db/sql.js';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { runCli, scratchDir } from '../helpers/cli.js';
import { migratedDataDir } from '../helpers/db.js';
import { bearer, READY_LINE, readyOf, serveUntil, startTestServe, stopCli } from './helpers.js';
import { readJson } from '../helpers/json.js';

const DAY_MS = 86_400_000;

/** Athlete ids, and per athlete its activity count and newest activity id. */
async function snapshot(sql: Sql): Promise<{ athletes: string[]; activities: Array<{ athlete: string; n: number; last: string }> }> {
  const athletes = await sql.query<{ id: string }>('select a.id::text as id from public.athletes a order by a.id');
  const activities = await sql.query<{ athlete: string; n: number; last: string }>(
    'select athlete_id::text as athlete, count(*)::int as n, max(id)::text as last from public.activities group by athlete_id order by athlete_id',
  );
  return { athletes: athletes.rows.map((r) => r.id), activities: activities.rows };
}

describe('veloready serve --seed, then --reset', () => {
  const cwd = scratchDir('vr-serve-data-');
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await migratedDataDir();
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await rm(cwd, { recursive: true, force: true });
  });

  /** Runs `serve <args>` on the data dir, hands `body` its database (through serve's socket) and ready line, stops it. */
  async function withServe<T>(args: string[], body: (sql: Sql, ready: Record<string, any>) => Promise<T>): Promise<T> {
    const serve = await serveUntil(cwd, ['--data-dir', dataDir, '--json', ...args], READY_LINE);
    const ready = readyOf(serve);
    const sql = await openPg(`postgres://postgres@127.0.0.1:${ready.pgPort}/postgres`, { maxConnections: 1 });
    try {
      return await body(sql, ready);
    } finally {
      await sql.close();
      expect(await stopCli(serve)).toBe(0);
    }
  }

  let demoRides: number;

  it('serve --seed 2: the demo athlete and generated athletes 1000001 and 1000002', async () => {
    await withServe(['--seed', '2'], async (sql, ready) => {
      const seeded = await snapshot(sql);
      expect(seeded.athletes).toEqual([String(DEMO_ATHLETE_ID), '1000001', '1000002']);
      demoRides = seeded.activities.find((a) => a.athlete === String(DEMO_ATHLETE_ID))!.n;
      expect(demoRides).toBeGreaterThan(150);
      // What --reset must undo: a cache entry, and the demo athlete's rides deleted.
      for (const expected of ['MISS', 'HIT']) {
        const r = await fetch(`${ready.url}/api/activities?limit=5`, { headers: bearer(ready.demoToken) });
        expect(r.headers.get('x-cache')).toBe(expected);
        await r.arrayBuffer();
      }
      await sql.query('delete from public.activities where athlete_id = $1', [DEMO_ATHLETE_ID]);
    });
  }, 120_000);

  it('serve --reset: the seeded athletes, deleted rides and cached entries are gone; the demo athlete is back', async () => {
    const after = await withServe(['--reset'], async (sql, ready) => {
      expect(ready.firstRun).toBe(true);
      const r = await fetch(`${ready.url}/api/activities?limit=5`, { headers: bearer(ready.demoToken) });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-cache')).toBe('MISS');
      expect((await readJson(r)).activities).toHaveLength(5);
      return snapshot(sql);
    });
    expect(after.athletes).toEqual([String(DEMO_ATHLETE_ID)]);
    expect(after.activities).toEqual([{ athlete: String(DEMO_ATHLETE_ID), n: demoRides, last: expect.any(String) }]);
  }, 120_000);
});

describe('serve --seed, bad values', () => {
  it.each([['0'], ['100001']])('--seed %s: a usage error naming the flag, exit 2, nothing created', async (value) => {
    const cwd = scratchDir('vr-serve-badseed-');
    const r = await runCli(['serve', '--seed', value, '--port', '0', '--pg-port', '0', '--no-ui'], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--seed/);
    expect(existsSync(join(cwd, '.veloready'))).toBe(false);
    await rm(cwd, { recursive: true, force: true });
  });
});

/** What `serve --seed N` runs (startServe), with the clock moved on between runs. */
describe('serve --seed on later runs', () => {
  it('--seed 2, then --seed 3 days later: 3 generated athletes + the demo one, the existing ones untouched; a repeat changes nothing', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'));
    const first = await startTestServe({ clock, seedAthletes: 2 });
    const { dataDir } = first;
    try {
      const afterSeed2 = await snapshot(first.sql);
      await first.close();
      expect(afterSeed2.athletes).toEqual([String(DEMO_ATHLETE_ID), '1000001', '1000002']);

      clock.advance(5 * DAY_MS);
      const second = await startTestServe({ clock, seedAthletes: 3, dataDir });
      const afterSeed3 = await snapshot(second.sql);
      await second.close();
      expect(second.seeded?.athletes).toBe(1);
      expect(afterSeed3.athletes).toEqual([String(DEMO_ATHLETE_ID), '1000001', '1000002', '1000003']);
      // No new days of rides for the athletes that were there (the clock moved five days).
      expect(afterSeed3.activities.slice(0, 3)).toEqual(afterSeed2.activities);
      expect(afterSeed3.activities[3]).toMatchObject({ athlete: '1000003', n: expect.any(Number) });
      expect(afterSeed3.activities[3]!.n).toBeGreaterThan(100);

      const third = await startTestServe({ clock, seedAthletes: 3, dataDir });
      const afterRepeat = await snapshot(third.sql);
      await third.close();
      expect(third.seeded).toBeUndefined();
      expect(afterRepeat).toEqual(afterSeed3);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
