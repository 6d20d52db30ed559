import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getStore } from '@netlify/blobs';
import { execa } from 'execa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { startBlobsServer } from '../../src/blobs/server.js';
import { openSqliteBlobs } from '../../src/blobs/sqlite.js';
import { activitiesKey, briefKey, CACHE_STORE, streamsKey } from '../../src/cache/keys.js';
import { ManualClock } from '../../src/clock.js';
import { openPglite } from '../../src/db/pglite.js';
import { BIN, cliEnv, runCli } from '../helpers/cli.js';
import { migratedDataDir } from '../helpers/db.js';
import { insertAthlete } from './real-athlete.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DAY = 86_400_000;
const ANSI = /\x1b\[[0-9;]*m/;
const BRIEF_1 = briefKey(userIdForAthlete(1), '2026-01-01');
const BRIEF_10 = briefKey(userIdForAthlete(10), '2026-01-01');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A data dir whose blobs.sqlite holds two athletes' keys written now and athlete 20's written 8 days ago. */
async function seededDir(into?: string): Promise<string> {
  const dir = into ?? mkdtempSync(join(tmpdir(), 'vr-cache-cli-'));
  dirs.push(dir);
  const clock = new ManualClock(Date.now() - 8 * DAY);
  const blobs = openSqliteBlobs({ path: join(dir, 'blobs.sqlite'), clock, sweepIntervalMs: 0 });
  const s = blobs.store(CACHE_STORE);
  await s.setJSON(activitiesKey(20), [{ id: 20 }]);
  await s.setJSON(streamsKey(20, 1), { w: [0] });
  clock.set(Date.now());
  await s.setJSON(activitiesKey(1), [{ id: 1, name: 'Morning ride' }], { metadata: { ttl: 86_400 } });
  await s.setJSON(streamsKey(1, 5), { w: [1] });
  await s.setJSON(BRIEF_1, { text: 'ride' });
  await s.setJSON(activitiesKey(10), [{ id: 10 }]);
  await s.setJSON(streamsKey(10, 6), { w: [2] });
  await s.setJSON(BRIEF_10, { text: 'rest' });
  await blobs.close();
  return dir;
}

async function keysIn(dir: string): Promise<string[]> {
  const blobs = openSqliteBlobs({ path: join(dir, 'blobs.sqlite'), sweepIntervalMs: 0 });
  try {
    return (await blobs.store(CACHE_STORE).list({ includeExpired: true })).blobs.map((b) => b.key);
  } finally {
    await blobs.close();
  }
}

const ALL_KEYS = [activitiesKey(1), activitiesKey(10), activitiesKey(20), streamsKey(1, 5), streamsKey(10, 6), streamsKey(20, 1), BRIEF_1, BRIEF_10].sort();

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: ROOT, env: { NO_COLOR: '1', ...env } });

/** The built CLI on a terminal (a pty from util-linux `script`), with `input` typed at it. */
const onTerminal = (args: string[], input = '') =>
  execa('script', ['-qec', ['node', '--', BIN, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], {
    cwd: ROOT,
    reject: false,
    input,
    extendEnv: false,
    env: cliEnv({ NO_COLOR: '1' }),
  });

const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('error:'));

describe.skipIf(!existsSync(join(ROOT, 'dist/commands/cache.js')))('veloready cache (built CLI)', () => {
  it('ls prints a table with key, size, age and expires columns, one row per key', async () => {
    const dir = await seededDir();
    const res = await cli(['cache', 'ls', '--data-dir', dir]);
    expect(res.exitCode).toBe(0);
    const [header, rule, ...rows] = res.stdout.split('\n');
    expect(header!.split(/\s+/)).toEqual(['store', 'key', 'size', 'age', 'expires']);
    expect(rule).toMatch(/^[─ ]+$/);
    expect(rows.at(-1)).toBe('8 key(s)');
    expect(rows.find((r) => r.includes(activitiesKey(1)))).toMatch(/^veloready-cache\s+activities:1\s+\d+ B\s+\d+s\s+in 23h 59m$/);
    expect(rows.find((r) => r.includes(activitiesKey(20)))).toMatch(/\s8d( \d+[hms])?\s+never$/); // "8d 1s" when the CLI starts slowly
  });

  it('NO_COLOR leaves no colour codes in cache output, even when colour is forced', async () => {
    const dir = await seededDir();
    const forced = await cli(['cache', 'stats', '--data-dir', dir], { FORCE_COLOR: '1', NO_COLOR: '' });
    expect(forced.stderr).toMatch(ANSI); // the control: colour is on without NO_COLOR
    for (const args of [['ls'], ['stats'], ['get', activitiesKey(1)], ['purge', '--expired', '--dry-run'], ['get', 'activities:404']]) {
      const res = await cli(['cache', ...args, '--data-dir', dir], { FORCE_COLOR: '1', NO_COLOR: '1' });
      expect(`${res.stdout}${res.stderr}`).not.toMatch(ANSI);
    }
  });

  it('purge --prefix removes only keys starting with it', async () => {
    const dir = await seededDir();
    const res = await cli(['cache', 'purge', '--prefix', 'streams:1:', '--data-dir', dir]);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/removed 1 key\(s\)/);
    expect(await keysIn(dir)).toEqual(ALL_KEYS.filter((k) => k !== streamsKey(1, 5)));
  });

  it('purge --kind brief removes every brief and nothing else', async () => {
    const dir = await seededDir();
    const res = await cli(['cache', 'purge', '--kind', 'brief', '--json', '--data-dir', dir]);
    expect(JSON.parse(res.stdout)).toMatchObject({ removed: 2, dryRun: false });
    expect(await keysIn(dir)).toEqual(ALL_KEYS.filter((k) => k !== BRIEF_1 && k !== BRIEF_10));
  });

  it('purge --dry-run lists what would go and deletes nothing', async () => {
    const dir = await seededDir();
    const res = await cli(['cache', 'purge', '--kind', 'streams', '--dry-run', '--data-dir', dir]);
    expect(res.exitCode).toBe(0);
    for (const key of [streamsKey(1, 5), streamsKey(10, 6), streamsKey(20, 1)]) expect(res.stdout).toContain(key);
    expect(res.stdout).toMatch(/would remove 3 key\(s\)/);
    expect(await keysIn(dir)).toEqual(ALL_KEYS);
  });

  it('purge --older-than 7d removes the entries written 8 days ago; --older-than 7x is a one-line usage error', async () => {
    const dir = await seededDir();
    const res = await cli(['cache', 'purge', '--older-than', '7d', '--json', '--data-dir', dir]);
    expect((JSON.parse(res.stdout) as { keys: Array<{ key: string }> }).keys.map((k) => k.key).sort()).toEqual([activitiesKey(20), streamsKey(20, 1)]);
    const bad = await cli(['cache', 'purge', '--older-than', '7x', '--data-dir', dir]);
    expect(bad.exitCode).toBe(2);
    expect(errorLines(bad.stderr)).toEqual([expect.stringMatching(/'7x' is invalid\. expected seconds or a duration like 30m, 1h, 7d/)]);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(await keysIn(dir)).toHaveLength(6);
  });

  it('--target netlify without NETLIFY_SITE_ID / NETLIFY_AUTH_TOKEN fails with exit 1 and says what to set', async () => {
    const res = await cli(['cache', 'ls', '--target', 'netlify']);
    expect(res.exitCode).toBe(1);
    expect(errorLines(res.stderr)).toEqual(['error: --target netlify needs a site id and a token']);
    expect(res.stderr).toMatch(/hint: set NETLIFY_SITE_ID and NETLIFY_AUTH_TOKEN/);
  });

  it('ls, get, stats and purge on a data dir with no blobs.sqlite exit 1, say so in one line and create nothing', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'vr-cache-typo-'));
    dirs.push(parent);
    const typo = join(parent, '.velorady');
    const runs = await Promise.all(
      [['ls'], ['get', activitiesKey(1)], ['stats'], ['purge', '--expired']].map((args) => cli(['cache', ...args, '--data-dir', typo])),
    );
    for (const res of runs) {
      expect(res.exitCode).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr.trim().split('\n')).toEqual([
        `error: no local cache at ${join(typo, 'blobs.sqlite')}: run \`veloready serve\` to create one, or check --data-dir`,
      ]);
    }
    expect(existsSync(typo)).toBe(false);
  });

  it('get on a terminal pretty-prints the JSON value and shows its metadata', async () => {
    const dir = await seededDir();
    const res = await onTerminal(['cache', 'get', activitiesKey(1), '--data-dir', dir]);
    expect(res.exitCode).toBe(0);
    const out = res.stdout.replace(/\r\n/g, '\n');
    expect(out).toContain('[\n  {\n    "id": 1,\n    "name": "Morning ride"\n  }\n]');
    expect(out).toMatch(/etag "[^"]+" · \d+ bytes · metadata \{"ttl":86400\}/);
    const piped = await cli(['cache', 'get', activitiesKey(1), '--data-dir', dir]);
    expect(piped.stdout).toBe('[{"id":1,"name":"Morning ride"}]');
  });

  it('purge --all on a terminal asks first: "n" deletes nothing and exits 1, "y" deletes everything', async () => {
    const dir = await seededDir();
    const no = await onTerminal(['cache', 'purge', '--all', '--data-dir', dir], 'n\n');
    expect(no.stdout).toMatch(/Delete every entry in store veloready-cache\? \[y\/N\]/);
    expect(no.stdout).toMatch(/error: nothing deleted/);
    expect(no.exitCode).toBe(1);
    expect(await keysIn(dir)).toEqual(ALL_KEYS);
    const yes = await onTerminal(['cache', 'purge', '--all', '--data-dir', dir], 'y\n');
    expect(yes.exitCode).toBe(0);
    expect(yes.stdout).toMatch(/removed 8 key\(s\)/);
    expect(await keysIn(dir)).toEqual([]);
  });

  describe("--athlete finds briefs by the athlete's user id", () => {
    it('read from the embedded database when there is one (a user id not derived from the athlete id)', async () => {
      const dir = await migratedDataDir();
      const sql = await openPglite({ dataDir: dir, skipLock: true });
      const userId = await insertAthlete(sql, 1).finally(() => sql.close());
      await seededDir(dir);
      const blobs = openSqliteBlobs({ path: join(dir, 'blobs.sqlite'), sweepIntervalMs: 0 });
      await blobs.store(CACHE_STORE).setJSON(briefKey(userId, '2026-01-02'), { text: 'real user' });
      await blobs.close();

      const res = await cli(['cache', 'purge', '--athlete', '1', '--json', '--data-dir', dir]);
      expect(res.exitCode).toBe(0);
      expect(res.stderr).not.toMatch(/warning/);
      const removed = (JSON.parse(res.stdout) as { keys: Array<{ key: string }> }).keys.map((k) => k.key).sort();
      expect(removed).toEqual([activitiesKey(1), streamsKey(1, 5), briefKey(userId, '2026-01-02')].sort());
    });

    it('derived from the athlete id, with a one-line warning, when no database is reachable', async () => {
      const dir = await seededDir();
      const res = await cli(['cache', 'ls', '--athlete', '1', '--json', '--data-dir', dir]);
      expect(res.exitCode).toBe(0);
      expect(res.stderr.split('\n').filter((l) => l.startsWith('warning:'))).toEqual([
        `warning: no database (no --db-url, DATABASE_URL, running serve or embedded database); matching athlete 1's briefs by the derived user id ${userIdForAthlete(1)}`,
      ]);
      expect((JSON.parse(res.stdout) as { keys: Array<{ key: string }> }).keys.map((k) => k.key).sort()).toEqual(
        [activitiesKey(1), streamsKey(1, 5), BRIEF_1].sort(),
      );
    });
  });
});

describe.skipIf(!existsSync(join(ROOT, 'dist/commands/blobs.js')))('veloready blobs context (built CLI)', () => {
  const saved = process.env.NETLIFY_BLOBS_CONTEXT;
  afterEach(() => {
    if (saved === undefined) delete process.env.NETLIFY_BLOBS_CONTEXT;
    else process.env.NETLIFY_BLOBS_CONTEXT = saved;
  });

  it('prints an export line whose value the official client, given nothing else, uses to reach the server', async () => {
    const blobs = openSqliteBlobs({ path: ':memory:', sweepIntervalMs: 0 });
    const server = await startBlobsServer({ blobs, siteID: 'ctx-site', token: 'ctx-token' });
    try {
      const res = await cli(['blobs', 'context', '--url', server.url, '--site-id', 'ctx-site', '--token', 'ctx-token']);
      expect(res.exitCode).toBe(0);
      const m = /^export NETLIFY_BLOBS_CONTEXT=([A-Za-z0-9+/=]+)$/.exec(res.stdout);
      expect(m).not.toBeNull();
      process.env.NETLIFY_BLOBS_CONTEXT = m![1]!;
      const store = getStore(CACHE_STORE);
      await store.setJSON(activitiesKey(3), [{ id: 3 }]);
      expect(await store.get(activitiesKey(3), { type: 'json' })).toEqual([{ id: 3 }]);
      expect(await blobs.store(CACHE_STORE).getJSON(activitiesKey(3))).toEqual([{ id: 3 }]);
    } finally {
      await server.close();
      await blobs.close();
    }
  });
});
