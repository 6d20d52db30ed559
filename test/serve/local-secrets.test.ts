import { chmodSync, readdirSync, readFileSync, lstatSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SITE_ID } from '../../src/blobs/context.js';
import { runCli } from '../helpers/cli.js';
import { migratedDataDir } from '../helpers/db.js';
import { startTestServe, type TestServe } from './helpers.js';

/** Paths under `dir` whose mode lets anyone but the owner in. */
function openToOthers(dir: string): string[] {
  const found: string[] = [];
  const walk = (p: string): void => {
    const st = lstatSync(p);
    if (st.mode & 0o077) found.push(`${(st.mode & 0o777).toString(8)} ${p}`);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(dir);
  return found;
}

/** The data dir holds Strava tokens and secrets: private to its owner, with a blob token of its own. */
describe('the data dir is private', () => {
  let serve: TestServe;
  let other: TestServe;
  beforeAll(async () => {
    // A data dir as an older veloready (or a loose umask) left it: world-readable, a file world-writable.
    const dataDir = await migratedDataDir();
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'notes.txt'), 'x', { mode: 0o666 });
    chmodSync(join(dataDir, 'notes.txt'), 0o666);
    serve = await startTestServe({ dataDir });
    other = await startTestServe();
  }, 120_000);
  afterAll(async () => {
    await serve?.stop();
    await other?.stop();
  });

  it('.veloready is 0700 and every file under it 0600 (PGlite\'s pg/ files and blobs.sqlite included)', async () => {
    expect(lstatSync(serve.dataDir).mode & 0o777).toBe(0o700);
    expect(lstatSync(join(serve.dataDir, 'blobs.sqlite')).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(serve.dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(openToOthers(serve.dataDir)).toEqual([]);
  });

  it('the Blobs API token is random per data dir: the old public token is refused, the data dir\'s accepted', async () => {
    const put = (token: string) =>
      fetch(`${serve.url}/api/v1/blobs/${LOCAL_SITE_ID}/veloready-cache/probe`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: 'v' });
    expect([401, 403]).toContain((await put('veloready-local-token')).status);
    expect((await put(other.blobsToken)).status).toBeGreaterThanOrEqual(400);
    expect((await put(serve.blobsToken)).status).toBe(200);
    expect(serve.blobsToken).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(serve.blobsToken).not.toBe(other.blobsToken);
    expect(JSON.parse(readFileSync(join(serve.dataDir, 'secrets.json'), 'utf8')).blobsToken).toBe(serve.blobsToken);
    // `blobs context`, which serve's banner points at, hands out the data dir's token.
    const printed = await runCli(['--json', 'blobs', 'context', '--url', serve.url, '--data-dir', serve.dataDir]);
    const context = JSON.parse(Buffer.from(JSON.parse(printed.stdout).NETLIFY_BLOBS_CONTEXT, 'base64').toString()) as { token: string };
    expect(context.token).toBe(serve.blobsToken);
  });
});
