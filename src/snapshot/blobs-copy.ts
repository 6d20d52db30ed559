import { existsSync } from 'node:fs';
import { openSqliteBlobs } from '../blobs/sqlite.js';
import { openSqlite } from '../blobs/sqlite-connection.js';

/**
 * The blob store copied through its own SQLite connection, so it works beside a running serve
 * (which notices another connection's writes, as it does a `cache purge`) and without one.
 */
export async function backupBlobs(storePath: string, dest: string): Promise<void> {
  if (!existsSync(storePath)) {
    // No store yet: an empty one, so every snapshot has the same parts.
    await openSqliteBlobs({ path: dest, sweepIntervalMs: 0 }).close();
    return;
  }
  const db = openSqlite(storePath, { readonly: true, fileMustExist: true });
  try {
    // One consistent read of the store, written compacted to a new file.
    db.prepare('VACUUM INTO ?').run(dest);
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
