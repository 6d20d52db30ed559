import { getStore } from '@netlify/blobs';
import { ManualClock } from '../../src/clock.js';
import { openNetlifyBlobs } from '../../src/blobs/remote.js';
import { startBlobsServer } from '../../src/blobs/server.js';
import { openSqliteBlobs } from '../../src/blobs/sqlite.js';
import { blobStoreConformance, type ConformanceTarget } from './conformance.js';
import { officialAsBlobStore } from './official-adapter.js';

const SITE = 'site-123';
const TOKEN = 'local-token';
const T0 = Date.UTC(2026, 0, 1);

async function served(): Promise<{ clock: ManualClock; url: string; close: () => Promise<void> }> {
  const clock = new ManualClock(T0);
  const blobs = openSqliteBlobs({ path: ':memory:', clock, sweepIntervalMs: 0 });
  const server = await startBlobsServer({ blobs, token: TOKEN, siteID: SITE, pageSize: 3 });
  return {
    clock,
    url: server.url,
    close: async () => {
      await server.close();
      await blobs.close();
    },
  };
}

blobStoreConformance('SQLite store', async (): Promise<ConformanceTarget> => {
  const clock = new ManualClock(T0);
  const blobs = openSqliteBlobs({ path: ':memory:', clock, sweepIntervalMs: 0 });
  return { clock, pagesVisible: true, store: (n) => blobs.store(n), close: () => blobs.close() };
}, { conditionalSetJSON: true });

blobStoreConformance(
  'remote client → our protocol server',
  async (): Promise<ConformanceTarget> => {
    const s = await served();
    const remote = openNetlifyBlobs({ siteID: SITE, token: TOKEN, apiURL: s.url, clock: s.clock });
    const wrong = openNetlifyBlobs({ siteID: SITE, token: 'wrong', apiURL: s.url, clock: s.clock, maxRetries: 0 });
    return {
      clock: s.clock,
      pagesVisible: true,
      store: (n) => remote.store(n),
      wrongTokenStore: (n) => wrong.store(n),
      close: async () => {
        await remote.close();
        await wrong.close();
        await s.close();
      },
    };
  },
  { http: true, conditionalSetJSON: true },
);

for (const form of ['edge', 'api'] as const) {
  blobStoreConformance(
    `official @netlify/blobs client (${form} form) → our protocol server`,
    async (): Promise<ConformanceTarget> => {
      const s = await served();
      const urls = form === 'edge' ? { edgeURL: s.url } : { apiURL: s.url };
      const open = (name: string, token: string) =>
        officialAsBlobStore(name, getStore({ name, siteID: SITE, token, ...urls }));
      return {
        clock: s.clock,
        pagesVisible: false,
        store: (n) => open(n, TOKEN),
        wrongTokenStore: (n) => open(n, 'wrong-token'),
        close: s.close,
      };
    },
    { http: true },
  );
}
