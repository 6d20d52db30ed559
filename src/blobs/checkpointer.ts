import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints a WAL database from a worker thread, off the serving thread. A checkpoint copies
 * committed pages into the database file and syncs it: run inside a write (SQLite's
 * autocheckpoint), that sync stalls every request of the server. PASSIVE never blocks the writer.
 * The worker's code is inline (and loads better-sqlite3 by absolute path) so it runs the same from
 * dist/ and from the TypeScript sources under test.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
// db and checkpoint are top-level, reachable until the worker ends: never collected (sqlite-connection.ts says why).
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  try { checkpoint.run(); } catch { /* busy or closing: the next tick, or the last close, checkpoints */ }
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.postMessage('stopped'); });
`;

export interface Checkpointer {
  /** Stops the worker after its current checkpoint; the database stays as it is. */
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  path: string;
  intervalMs: number;
  busyTimeoutMs: number;
  /** The worker could not start or died: the caller falls back to checkpointing itself. */
  onFailure(error: unknown): void;
}

export function startCheckpointer(opts: CheckpointerOptions): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver, path: opts.path, intervalMs: opts.intervalMs, busyTimeoutMs: opts.busyTimeoutMs },
  });
  worker.unref();
  let stopping = false;
  worker.on('error', (err) => opts.onFailure(err));
  worker.on('exit', (code) => {
    if (!stopping) opts.onFailure(new Error(`the WAL checkpointer exited with code ${code}`));
  });
  return {
    stop() {
      if (stopping) return Promise.resolve();
      stopping = true;
      return new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.once('message', () => void worker.terminate());
        worker.postMessage('stop');
      });
    },
  };
}
