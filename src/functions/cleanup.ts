import type { Handler } from '../emulator/types.js';
import type { Blobs } from '../blobs/store.js';
import type { FunctionDeps } from './deps.js';
import { handler, logUnexpected } from './lib/handle.js';
import { json } from './lib/http.js';
import { requireMethod } from './lib/method.js';

export interface CleanupSummary {
  stream_rows_deleted: number;
  blobs_deleted: number;
}

/** Deletes every blob past its expiry, in every store (Netlify Blobs has no native TTL). */
export async function sweepExpiredBlobs(blobs: Blobs, nowMs: number): Promise<number> {
  let deleted = 0;
  for (const name of await blobs.listStores()) {
    const store = blobs.store(name);
    const expired: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ includeExpired: true, ...(cursor ? { cursor } : {}) });
      for (const b of page.blobs) if (b.expiresAt !== null && b.expiresAt <= nowMs) expired.push(b.key);
      cursor = page.cursor;
    } while (cursor);
    for (const key of expired) {
      await store.delete(key);
      deleted++;
    }
  }
  return deleted;
}

/** Scheduled `@hourly`: deletes expired `activity_streams` rows and expired blobs. */
export function createCleanupHandler(deps: FunctionDeps): Handler {
  return handler(async (event) => {
    requireMethod(event, ['POST']); // Netlify invokes scheduled functions with a POST
    const now = deps.clock.now();
    const res = await deps.sql.query(
      'delete from public.activity_streams where expires_at is not null and expires_at <= to_timestamp($1 / 1000.0)',
      [now],
    );
    const blobsDeleted = await sweepExpiredBlobs(deps.blobs, now);
    const summary: CleanupSummary = { stream_rows_deleted: res.rowCount, blobs_deleted: blobsDeleted };
    return json(200, summary);
  }, logUnexpected(deps, 'cleanup'));
}
