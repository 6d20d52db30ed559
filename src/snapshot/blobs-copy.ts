import { existsSync } from 'node:fs';
import { openSqlite } from '../blobs/sqlite-connection.js';
import { BLOBS_SCHEMA, openSqliteBlobs } from '../blobs/sqlite.js';

/**
 * The blob store's bytes, read through its own SQLite connection in one read transaction, so it
 * works beside a running serve (which notices another connection's writes, as it does a `cache
 * purge`) and without one. A data dir without a store gives an empty one.
 */
export function backupBlobs(storePath: string): Buffer {
  const db = existsSync(storePath) ? openSqlite(storePath, { readonly: true, fileMustExist: true }) : openSqlite(':memory:');
  try {
    if (db.memory) db.exec(BLOBS_SCHEMA);
    return db.serialize();
  } finally {
    db.close();
  }
}

/** Replaces every entry of the store at `storePath` with the snapshot's, in one transaction. */
export async function restoreBlobs(storePath: string, from: string): Promise<void> {
  // Creates the store (and its table) when the data dir has none yet.
  await openSqliteBlobs({ path: storePath, sweepIntervalMs: 0 }).close();
  const db = openSqlite(storePath, { timeout: 10_000 });
  try {
    db.prepare('attach database ? as snap').run(from);
    db.transaction(() => {
      db.exec('delete from main.blobs');
      db.exec('insert into main.blobs select * from snap.blobs');
    }).immediate();
    db.exec('detach database snap');
  } finally {
    db.close();
  }
}
