import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activitiesKey, briefKey, CACHE_STORE, streamsKey } from '../../src/cache/keys.js';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { ManualClock } from '../../src/clock.js';
import { cacheStats, getCacheEntry, listCache, purgeCache } from '../../src/blobs/cache-admin.js';
import { openNetlifyBlobs } from '../../src/blobs/remote.js';
import { startBlobsServer } from '../../src/blobs/server.js';
import { openSqliteBlobs } from '../../src/blobs/sqlite.js';
import type { Blobs, WriteTime } from '../../src/blobs/store.js';

const T0 = Date.UTC(2026, 0, 10);
const DAY = 86_400_000;

async function seed(blobs: Blobs<WriteTime>, clock: ManualClock): Promise<void> {
  const s = blobs.store(CACHE_STORE);
  await s.setJSON(activitiesKey(1), [{ id: 1 }], { metadata: { ttl: 86_400 } });
  await s.setJSON(streamsKey(1, 500), { watts: [1, 2] }, { metadata: { ttl: 3600 } });
  await s.setJSON(briefKey(userIdForAthlete(1), '2026-01-09'), { text: 'rest' });
  await s.setJSON(activitiesKey(10), [{ id: 10 }], { metadata: { ttl: 86_400 } });
  await s.setJSON(streamsKey(10, 501), { watts: [3] });
  await blobs.store('other').set('note', 'x');
  clock.advance(2 * 3600 * 1000); // streams:1:500 is now expired
}

function suite(label: string, open: (clock: ManualClock) => Promise<{ blobs: Blobs<WriteTime>; close: () => Promise<void> }>) {
  describe(`cache admin over ${label}`, () => {
    let clock: ManualClock;
    let blobs: Blobs<WriteTime>;
    let close: () => Promise<void>;
    beforeAll(async () => {
      clock = new ManualClock(T0);
      ({ blobs, close } = await open(clock));
      await seed(blobs, clock);
    });
    afterAll(() => close());

    it("ls --athlete 1 shows athlete 1's activities, streams and brief but not athlete 10's", async () => {
      const keys = (await listCache(blobs, { store: CACHE_STORE, athleteId: 1 }, clock.now())).map((e) => e.key);
      expect(keys.sort()).toEqual([activitiesKey(1), `${userIdForAthlete(1)}:2026-01-09:v1`, streamsKey(1, 500)].sort());
    });

    it('ls marks expired entries and shows sizes', async () => {
      const entries = await listCache(blobs, { kind: 'streams' }, clock.now());
      expect(Object.fromEntries(entries.map((e) => [e.key, e.expired]))).toEqual({
        [streamsKey(1, 500)]: true,
        [streamsKey(10, 501)]: false,
      });
      expect(entries.find((e) => e.expired)!.size).toBe(JSON.stringify({ watts: [1, 2] }).length);
    });

    it('get returns the parsed value and metadata', async () => {
      const e = await getCacheEntry(blobs, activitiesKey(10));
      expect(e).toMatchObject({ value: [{ id: 10 }], isJson: true, metadata: { ttl: 86_400 } });
      await expect(getCacheEntry(blobs, 'activities:999')).rejects.toMatchObject({ code: 'CACHE_KEY_NOT_FOUND' });
    });

    it('stats counts per store and kind, with expired and oldest', async () => {
      const stats = await cacheStats(blobs, clock.now());
      const streams = stats.find((r) => r.store === CACHE_STORE && r.kind === 'streams');
      expect(streams).toMatchObject({ count: 2, expired: 1, oldest: expect.any(Number) });
      expect(stats.find((r) => r.store === 'other')).toMatchObject({ kind: 'other', count: 1, bytes: 1 });
    });

    it('purge --dry-run deletes nothing; purge --athlete 1 leaves athlete 10 and reports bytes', async () => {
      const dry = await purgeCache(blobs, { store: CACHE_STORE, athleteId: 1, dryRun: true }, clock.now());
      expect(dry.keys).toHaveLength(3);
      expect((await listCache(blobs, { store: CACHE_STORE }, clock.now())).length).toBe(5);
      const done = await purgeCache(blobs, { store: CACHE_STORE, athleteId: 1 }, clock.now());
      expect(done.keys).toHaveLength(3);
      expect(done.bytes).toBe(dry.bytes);
      expect(done.bytes).toBeGreaterThan(0);
      const left = (await listCache(blobs, { store: CACHE_STORE }, clock.now())).map((e) => e.key).sort();
      expect(left).toEqual([activitiesKey(10), streamsKey(10, 501)]);
    });

    it('purge --older-than and --expired select by age and expiry; an empty purge is a usage error', async () => {
      clock.advance(8 * DAY);
      await blobs.store(CACHE_STORE).set('fresh', 'x');
      const expired = await purgeCache(blobs, { store: CACHE_STORE, expired: true }, clock.now());
      expect(expired.keys.map((k) => k.key)).toEqual([activitiesKey(10)]);
      const old = await purgeCache(blobs, { store: CACHE_STORE, olderThanSeconds: 7 * 86_400 }, clock.now());
      expect(old.keys.map((k) => k.key)).toEqual([streamsKey(10, 501)]);
      await expect(purgeCache(blobs, { store: CACHE_STORE }, clock.now())).rejects.toMatchObject({ code: 'PURGE_NEEDS_FILTER', exitCode: 2 });
      expect((await purgeCache(blobs, { store: CACHE_STORE, all: true }, clock.now())).keys.map((k) => k.key)).toEqual(['fresh']);
    });

    it("--athlete with the athlete's user id from the database selects the briefs keyed by it, not the derived id's", async () => {
      const store = 'real-users';
      const realUser = '0b6f5a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
      await blobs.store(store).setJSON(briefKey(realUser, '2026-01-09'), { text: 'real' });
      await blobs.store(store).setJSON(briefKey(userIdForAthlete(1), '2026-01-09'), { text: 'derived' });
      const sel = { store, athleteId: 1, athleteUserId: realUser };
      expect((await listCache(blobs, sel, clock.now())).map((e) => e.key)).toEqual([briefKey(realUser, '2026-01-09')]);
      expect((await purgeCache(blobs, sel, clock.now())).keys.map((k) => k.key)).toEqual([briefKey(realUser, '2026-01-09')]);
      expect((await listCache(blobs, { store }, clock.now())).map((e) => e.key)).toEqual([briefKey(userIdForAthlete(1), '2026-01-09')]);
    });
  });
}

suite('the SQLite store', async (clock) => {
  const blobs = openSqliteBlobs({ path: ':memory:', clock, sweepIntervalMs: 0 });
  return { blobs, close: () => blobs.close() };
});

suite('the remote client (Netlify API protocol)', async (clock) => {
  const local = openSqliteBlobs({ path: ':memory:', clock, sweepIntervalMs: 0 });
  const server = await startBlobsServer({ blobs: local, token: 't', siteID: 's', pageSize: 2 });
  const blobs = openNetlifyBlobs({ siteID: 's', token: 't', apiURL: server.url, clock });
  return {
    blobs,
    close: async () => {
      await blobs.close();
      await server.close();
      await local.close();
    },
  };
});
