import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteBlobs } from '../../src/blobs/sqlite.js';
import { openSqlite } from '../../src/blobs/sqlite-connection.js';

const ROOT = resolve(import.meta.dirname, '../..');
// Inside node_modules so the bundle resolves better-sqlite3 like the project does.
const CHILD = join(ROOT, 'node_modules/.cache/veloready-blobs-test', `child-${process.pid}.mjs`);
let dir: string;

beforeAll(async () => {
  mkdirSync(join(CHILD, '..'), { recursive: true });
  await build({
    entryPoints: [join(import.meta.dirname, 'fixtures/child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3'],
    outfile: CHILD,
    logLevel: 'silent',
  });
  dir = mkdtempSync(join(tmpdir(), 'veloready-durability-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(CHILD, { force: true });
});

function run(mode: string, path: string, count: number) {
  const child = spawn(process.execPath, [CHILD, mode, path, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, stderr: () => stderr };
}

describe('SQLite store durability', () => {
  it('keeps every acknowledged write after the writer is killed with SIGKILL, and the file passes integrity_check', async () => {
    const path = join(dir, 'kill.sqlite');
    const writer = run('write', path, 50_000);
    const acked: string[] = [];
    const lines = createInterface({ input: writer.child.stdout! });
    await new Promise<void>((resolveKill) => {
      lines.on('line', (key) => {
        acked.push(key);
        if (acked.length === 2000) {
          writer.child.kill('SIGKILL');
          resolveKill();
        }
      });
    });
    await writer.exited;
    expect(acked.length).toBeGreaterThanOrEqual(2000);

    const db = openSqlite(path);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    const blobs = openSqliteBlobs({ path, sweepIntervalMs: 0 });
    const store = blobs.store('durability');
    const missing: string[] = [];
    for (const key of acked) {
      const v = await store.get(key);
      if (!v || !Buffer.from(v).toString().startsWith(`${key}:`)) missing.push(key);
    }
    await blobs.close();
    expect(missing).toEqual([]);
  }, 30_000);

  it('lets one process write while another purges, with no SQLITE_BUSY surfacing', async () => {
    const path = join(dir, 'busy.sqlite');
    openSqliteBlobs({ path, sweepIntervalMs: 0 }).close();
    const writer = run('write', path, 3000);
    writer.child.stdout!.resume(); // drain the acks, or the writer blocks on a full pipe
    const purger = run('purge', path, 300);
    const [w, p] = await Promise.all([writer.exited, purger.exited]);
    expect(writer.stderr() + purger.stderr()).toBe('');
    expect([w, p]).toEqual([0, 0]);
  }, 30_000);

  it('a process that opens, copies and closes the store many times survives the garbage collector and exits 0', async () => {
    // better-sqlite3 built against Node 24.19+ headers aborts the process if the GC collects one
    // of its statements or connections (SIGABRT, `RemoveEnvironmentCleanupHook … (env) != nullptr`).
    const path = join(dir, 'churn.sqlite');
    const churn = run('churn', path, 50);
    churn.child.stdout!.resume();
    const code = await churn.exited;
    expect(churn.stderr()).toBe('');
    expect(code).toBe(0);
  }, 30_000);
});
