import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { EXTERNAL_CHANGE_CHECK_MS, openSqliteBlobs, type SqliteBlobs } from '../../src/blobs/sqlite.js';
import { openSqlite } from '../../src/blobs/sqlite-connection.js';

const T0 = Date.UTC(2026, 0, 1);
let dir: string | undefined;
let open: SqliteBlobs[] = [];

function tmpFile(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'veloready-blobs-'));
  return join(dir, 'blobs.sqlite');
}

function openAt(path: string, clock = new ManualClock(T0)): SqliteBlobs {
  const b = openSqliteBlobs({ path, clock, sweepIntervalMs: 0 });
  open.push(b);
  return b;
}

afterEach(async () => {
  for (const b of open) await b.close();
  open = [];
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('SQLite blob store', () => {
  it('keeps entries across close and reopen, in WAL mode', async () => {
    const path = tmpFile();
    const a = openAt(path);
    await a.store('s').setJSON('activities:1', { n: 1 }, { metadata: { ttl: 3600 } });
    await a.close();
    const b = openAt(path);
    expect(await b.store('s').getJSON('activities:1')).toEqual({ n: 1 });
    const db = openSqlite(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('honours ttlSeconds and an absolute expiresAt', async () => {
    const clock = new ManualClock(T0);
    const s = openAt(':memory:', clock).store('s');
    await s.set('short', 'x', { ttlSeconds: 10 });
    await s.set('abs', 'y', { expiresAt: T0 + 20_000 });
    await s.set('forever', 'z');
    clock.advance(10_000);
    expect(await s.get('short')).toBeNull();
    expect(await s.get('abs')).not.toBeNull();
    clock.advance(10_000);
    expect(await s.get('abs')).toBeNull();
    expect(await s.get('forever')).not.toBeNull();
    const listed = await s.list({ includeExpired: true });
    expect(listed.blobs.map((b) => [b.key, b.expiresAt])).toEqual([
      ['abs', T0 + 20_000],
      ['forever', null],
      ['short', T0 + 10_000],
    ]);
  });

  it('sweeps expired rows away', async () => {
    const clock = new ManualClock(T0);
    const blobs = openAt(':memory:', clock);
    await blobs.store('s').set('a', 'x', { metadata: { ttl: 5 } });
    await blobs.store('s').set('b', 'x');
    clock.advance(6000);
    expect(blobs.sweepExpired()).toBe(1);
    expect((await blobs.store('s').list({ includeExpired: true })).blobs.map((b) => b.key)).toEqual(['b']);
  });

  it('keeps stores apart and lists them', async () => {
    const blobs = openAt(':memory:');
    await blobs.store('one').set('k', '1');
    await blobs.store('two').set('k', '2');
    expect(Buffer.from((await blobs.store('one').get('k'))!).toString()).toBe('1');
    expect(await blobs.listStores()).toEqual(['one', 'two']);
  });

  it('rejects store names Netlify rejects', () => {
    const blobs = openAt(':memory:');
    expect(() => blobs.store('a/b')).toThrow(/forward slashes/);
    expect(() => blobs.store('x'.repeat(65))).toThrow(/64 bytes/);
  });

  it('purges by prefix, expiry and age, reporting keys and bytes, and dry-runs without deleting', async () => {
    const clock = new ManualClock(T0);
    const blobs = openAt(':memory:', clock);
    const s = blobs.store('c');
    await s.set('streams:1:1', 'aaaa');
    await s.set('streams:1:2', 'bb', { ttlSeconds: 1 });
    clock.advance(10_000);
    await s.set('streams:2:1', 'c');
    const dry = await blobs.purge({ store: 'c', prefixes: ['streams:1:'], dryRun: true });
    expect(dry).toEqual({ keys: [{ store: 'c', key: 'streams:1:1', size: 4 }, { store: 'c', key: 'streams:1:2', size: 2 }], bytes: 6 });
    expect((await s.list({ includeExpired: true })).blobs).toHaveLength(3);
    expect((await blobs.purge({ expired: true })).keys.map((k) => k.key)).toEqual(['streams:1:2']);
    expect((await blobs.purge({ updatedBefore: T0 + 5000 })).keys.map((k) => k.key)).toEqual(['streams:1:1']);
    expect((await s.list()).blobs.map((b) => b.key)).toEqual(['streams:2:1']);
  });

  it('applies a delete, read or purge after a set that was issued before it but not yet awaited', async () => {
    const blobs = openAt(':memory:');
    const s = blobs.store('order');
    const written = s.set('k', 'v');
    await s.delete('k');
    await written;
    expect(await s.get('k')).toBeNull();
    const again = s.set('k', 'v2');
    expect(Buffer.from((await s.get('k'))!).toString()).toBe('v2');
    await again;
    const third = s.set('streams:1:1', 'x');
    expect((await blobs.purge({ prefixes: ['streams:'] })).keys.map((k) => k.key)).toEqual(['streams:1:1']);
    await third;
    expect(await s.get('streams:1:1')).toBeNull();
  });

  it('writes issued in one turn of the event loop share one commit; a lone write waits for no timer', async () => {
    const path = tmpFile();
    const store = openAt(path).store('s');
    await store.set('warm-up', 'x');
    const other = openSqlite(path, { readonly: true });
    const commits = (() => {
      const start = other.pragma('data_version', { simple: true }) as number;
      return () => (other.pragma('data_version', { simple: true }) as number) - start;
    })();
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.set(`k${i}`, String(i))));
    expect(commits()).toBe(1);
    expect(Buffer.from((await store.get('k49'))!).toString()).toBe('49');

    const order: string[] = [];
    const lone = store.set('lone', 'x').then(() => order.push('committed'));
    setImmediate(() => setImmediate(() => order.push('two loop turns later')));
    await lone;
    await new Promise((r) => setImmediate(() => setImmediate(r)));
    expect(order).toEqual(['committed', 'two loop turns later']);
    expect(commits()).toBe(2);
    other.close();
  });

  it('pages through a large list with cursors and no duplicates', async () => {
    const s = openAt(':memory:').store('big');
    for (let i = 0; i < 2500; i++) await s.set(`k${String(i).padStart(5, '0')}`, 'v');
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await s.list({ cursor });
      seen.push(...page.blobs.map((b) => b.key));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(2500);
  });
});

describe('remembered metadata reads (the cache HIT path)', () => {
  it('see this connection\'s writes at once and another connection\'s within EXTERNAL_CHANGE_CHECK_MS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vr-meta-'));
    const path = join(dir, 'blobs.sqlite');
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const serve = openSqliteBlobs({ path, clock, sweepIntervalMs: 0 });
    const cli = openSqliteBlobs({ path, clock, sweepIntervalMs: 0 }); // e.g. `veloready cache purge`
    try {
      const a = serve.store('s');
      const first = await a.set('k', 'v1');
      expect((await a.getMetadata('k'))?.etag).toBe(first.etag);
      expect((await a.getMetadata('k'))?.etag).toBe(first.etag); // remembered

      const second = await cli.store('s').set('k', 'v2');
      clock.advance(EXTERNAL_CHANGE_CHECK_MS);
      expect((await a.getMetadata('k'))?.etag).toBe(second.etag);

      await cli.store('s').delete('k');
      clock.advance(EXTERNAL_CHANGE_CHECK_MS);
      expect(await a.getMetadata('k')).toBeNull();

      const third = await a.set('k', 'v3', { ttlSeconds: 60 });
      expect((await a.getMetadata('k'))?.etag).toBe(third.etag);
      clock.advance(61_000);
      expect(await a.getMetadata('k')).toBeNull(); // expiry is checked on every read
      await a.delete('k');
      await a.set('k', 'v4');
      await a.delete('k');
      expect(await a.getMetadata('k')).toBeNull();
    } finally {
      await serve.close();
      await cli.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
