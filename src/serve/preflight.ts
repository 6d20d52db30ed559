import { createServer } from 'node:net';
import { usageError, VeloError } from '../errors.js';

/**
 * What serve checks before it touches the data dir: a taken port or a bad URL is found in
 * milliseconds, not after migrating and seeding for seconds.
 */

/** Listens on `port` and lets go at once; fails the way the real listen would. Port 0 always passes. */
export async function assertPortFree(port: number, host: string, what: { code: string; flag: string }): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new VeloError(what.code, `port ${port} on ${host} is already in use`, `pick another one with ${what.flag} (0 = any free port), or stop what holds it`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') reject(usageError('INVALID_HOST', `cannot listen on ${host}`, 'use --host 127.0.0.1 or 0.0.0.0'));
      else if (err.code === 'EACCES') reject(new VeloError(what.code, `port ${port} on ${host} needs more privileges`, `pick a port above 1023 with ${what.flag}`));
      else reject(err);
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** `--strava-url`: an http(s) URL, checked before serve starts (a bad one would fail on the first Strava call). */
export function checkStravaUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError('INVALID_STRAVA_URL', `--strava-url "${raw}" is not a URL`, 'e.g. --strava-url https://www.strava.com/api/v3');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError('INVALID_STRAVA_URL', `--strava-url "${raw}" is not an http(s) URL`, 'e.g. --strava-url https://www.strava.com/api/v3');
  }
  return raw.replace(/\/+$/, '');
}

/** `--db-url` / DATABASE_URL: a postgres:// (or postgresql://) URL, not a site's http:// address. */
export function checkDbUrl(raw: string, from: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    /* below */
  }
  if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
    throw usageError('INVALID_DB_URL', `${from} is not a postgres:// URL`, 'e.g. --db-url postgres://postgres@127.0.0.1:5432/veloready');
  }
  return raw;
}
