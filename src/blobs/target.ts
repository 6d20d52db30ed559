import { dirname } from 'node:path';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { usageError, VeloError } from '../errors.js';
import type { Blobs, WriteTime } from './store.js';
import { makeDataDirPrivate } from '../config/private-dir.js';

/** Where `veloready cache` points: the local SQLite file or Netlify Blobs. */
export const BLOBS_TARGETS = ['local', 'netlify'] as const;
export type BlobsTargetName = (typeof BLOBS_TARGETS)[number];
export const BLOBS_FILE = 'blobs.sqlite';

export interface BlobsTargetOptions {
  target: string;
  dataDir: string;
  siteID?: string;
  token?: string;
  apiURL?: string;
  clock?: Clock;
}

export const localBlobsPath = (dataDir: string): string => join(dataDir, BLOBS_FILE);

/**
 * Opens the cache a `veloready cache` command asked for; heavy modules load only here. A local cache
 * must already exist: opening it would create the file, so a mistyped --data-dir would look empty.
 */
export async function openBlobsTarget(opts: BlobsTargetOptions): Promise<Blobs<WriteTime>> {
  if (opts.target === 'local') {
    const path = localBlobsPath(opts.dataDir);
    if (!existsSync(path)) {
      throw new VeloError('NO_LOCAL_CACHE', `no local cache at ${path}: run \`veloready serve\` to create one, or check --data-dir`);
    }
    const { openSqliteBlobs } = await import('./sqlite.js');
    makeDataDirPrivate(dirname(path));
    return openSqliteBlobs({ path, clock: opts.clock, sweepIntervalMs: 0 });
  }
  if (opts.target === 'netlify') {
    if (!opts.siteID || !opts.token) {
      throw new VeloError(
        'NETLIFY_NOT_CONFIGURED',
        '--target netlify needs a site id and a token',
        'set NETLIFY_SITE_ID and NETLIFY_AUTH_TOKEN (environment or .env)',
      );
    }
    const { openNetlifyBlobs } = await import('./remote.js');
    return openNetlifyBlobs({ siteID: opts.siteID, token: opts.token, apiURL: opts.apiURL, clock: opts.clock });
  }
  throw usageError('INVALID_TARGET', `unknown target "${opts.target}"`, `use --target ${BLOBS_TARGETS.join(' or ')}`);
}
