import type { Blobs } from '../blobs/store.js';
import type { Clock } from '../clock.js';
import type { Sql } from '../db/sql.js';
import type { FunctionRegistry } from '../emulator/functions.js';
import type { RequestLog } from '../emulator/request-log.js';
import type { Scheduler } from '../emulator/scheduler.js';
import type { Emulator } from '../emulator/server.js';
import type { FakeStrava } from '../strava/fake-server.js';

/** The running serve's parts the inspector reads and drives (the same ones the dashboard reads). */
export interface InspectorSources {
  /** Where serve listens, e.g. http://127.0.0.1:8888. */
  url: string;
  database: string;
  pgPort?: number;
  sql: Sql;
  blobs: Blobs;
  clock: Clock;
  log: RequestLog;
  functions: FunctionRegistry;
  emulator: Emulator;
  scheduler: Scheduler;
  jwtSecret: string;
  /** The data dir's token for the Netlify Blobs API. */
  blobsToken: string;
  /** PRNG seed of the demo data (for "seed N more" and "reset"). */
  seed: string;
  fakeStrava?: FakeStrava;
}
