import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openSqliteBlobs } from '../../src/blobs/sqlite.js';

const ENTRIES = 1500; // ~3000 WAL pages: SQLite's autocheckpoint (1000 pages) would run inside the write
const VALUE = 'x'.repeat(2048);
const INTERVAL_MS = 1500;
const WAIT_LIMIT_MS = 8000;

it('with background checkpoints (serve), writes never checkpoint inline; the worker moves them into the database file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'veloready-checkpoint-'));
  const path = join(dir, 'blobs.sqlite');
  const blobs = openSqliteBlobs({ path, sweepIntervalMs: 0, backgroundCheckpoints: true, checkpointIntervalMs: INTERVAL_MS });
  try {
    const store = blobs.store('s');
    const before = statSync(path).size;
    await Promise.all(Array.from({ length: ENTRIES }, (_, i) => store.set(`k${i}`, VALUE)));
    // Committed, readable, and still only in the WAL: the write did not stop to checkpoint.
    expect(statSync(path).size).toBe(before);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(ENTRIES * VALUE.length);
    expect(await store.get('k0')).not.toBeNull();

    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (statSync(path).size < ENTRIES * VALUE.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(statSync(path).size).toBeGreaterThanOrEqual(ENTRIES * VALUE.length);
    expect((await store.list({ limit: 10_000 })).blobs).toHaveLength(ENTRIES);
  } finally {
    await blobs.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
