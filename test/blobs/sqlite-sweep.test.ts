import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { openSqliteBlobs } from '../../src/blobs/sqlite.js';
import { openSqlite } from '../../src/blobs/sqlite-connection.js';

const T0 = Date.UTC(2026, 0, 1);
const SWEEP_MS = 10;
const WAIT_LIMIT_MS = 2000;

it('the background sweep deletes an expired row from the file on its own, with no read to trigger it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'veloready-sweep-'));
  const path = join(dir, 'blobs.sqlite');
  const clock = new ManualClock(T0);
  const blobs = openSqliteBlobs({ path, clock, sweepIntervalMs: SWEEP_MS });
  // A second connection looks at the rows themselves; the store is never read.
  const raw = openSqlite(path, { readonly: true });
  const rows = (): string[] => raw.prepare<[], { key: string }>('SELECT key FROM blobs ORDER BY key').all().map((r) => r.key);
  try {
    await blobs.store('s').set('short', 'x', { metadata: { ttl: 60 } });
    await blobs.store('s').set('forever', 'x');
    await new Promise((r) => setTimeout(r, 5 * SWEEP_MS));
    expect(rows()).toEqual(['forever', 'short']);

    clock.advance(61_000);
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (rows().length > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, SWEEP_MS));
    expect(rows()).toEqual(['forever']);
  } finally {
    raw.close();
    await blobs.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
