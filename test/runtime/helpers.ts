import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getStore } from '@netlify/blobs';
import { LOCAL_SITE_ID } from '../../src/blobs/context.js';

export const FIXTURE_SITE = resolve(import.meta.dirname, '../../fixtures/sites/veloready');
const REPO_NODE_MODULES = resolve(import.meta.dirname, '../../node_modules');

/** A copy of the fixture site to edit, its node_modules a link to the repo's (so its packages resolve). */
export function copySite(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'vr-site-'));
  cpSync(FIXTURE_SITE, dir, { recursive: true, filter: (src) => !src.includes('/.netlify') && !src.includes('/.veloready') });
  symlinkSync(REPO_NODE_MODULES, join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The site's blob store as the official client sees it through serve (its data dir's token). */
export const siteStore = (serve: { url: string; blobsToken: string }, name: string) => getStore({ name, siteID: LOCAL_SITE_ID, token: serve.blobsToken, edgeURL: serve.url });

/** Polls `probe` until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
