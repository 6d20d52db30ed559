import { getDeployStore, getStore, listStores } from '@netlify/blobs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BLOBS_CONTEXT_ENV, encodeBlobsContext, LOCAL_SITE_ID } from '../../src/blobs/context.js';
import { startTestServe, type TestServe } from './helpers.js';
import { readJson } from '../helpers/json.js';

let serve: TestServe;
beforeAll(async () => {
  serve = await startTestServe();
  // What `eval "$(veloready blobs context --url <serve url>)"` exports.
  process.env[BLOBS_CONTEXT_ENV] = encodeBlobsContext({ url: serve.url, siteID: LOCAL_SITE_ID, token: serve.blobsToken });
}, 120_000);
afterAll(async () => {
  delete process.env[BLOBS_CONTEXT_ENV];
  await serve?.stop();
});

/** Every request's path as serve saw it (the client's region prefix is the point of these tests). */
const paths: string[] = [];
const record = () => serve.log.subscribe((e) => void (e.type === 'request' && paths.push(e.path)));
afterEach(() => void paths.splice(0));

describe('serve: the official @netlify/blobs client on region-prefixed edge paths', () => {
  it('getDeployStore() from the context: set, get, list under /region:<primary>/', async () => {
    const unsubscribe = record();
    const store = getDeployStore({ deployID: 'dep1' });
    await store.set('x', 'y');
    await store.setJSON('nested/k', { n: 1 });
    expect(await store.get('x')).toBe('y');
    expect(await store.get('nested/k', { type: 'json' })).toEqual({ n: 1 });
    const { blobs } = await store.list();
    expect(blobs.map((b) => b.key).sort()).toEqual(['nested/k', 'x']);
    // Another deploy's store does not see them.
    expect(await getDeployStore({ deployID: 'dep2' }).get('x')).toBeNull();
    unsubscribe();
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.every((p) => p.startsWith(`/region:us-east-1/${LOCAL_SITE_ID}/`))).toBe(true);
  });

  it('getStore({ region }): set, get, list, delete', async () => {
    const unsubscribe = record();
    // The client's types offer `region` on deploy stores only; at run time a site store takes it too.
    const store = getStore({ name: 'regional', region: 'eu-central-1' } as Parameters<typeof getStore>[0]);
    await store.set('a', 'one');
    await store.set('b', 'two');
    expect(await store.get('a')).toBe('one');
    expect((await store.list()).blobs.map((b) => b.key).sort()).toEqual(['a', 'b']);
    await store.delete('a');
    expect(await store.get('a')).toBeNull();
    unsubscribe();
    expect(paths.every((p) => p.startsWith(`/region:eu-central-1/${LOCAL_SITE_ID}/`))).toBe(true);
    // The same store without a region: one local store, whatever the region.
    expect(await getStore('regional').get('b')).toBe('two');
  });

  it('listStores() reaches the site-level path', async () => {
    const { stores } = await listStores();
    expect(stores).toContain('regional');
  });

  it('a region path for another site is not the blobs API (404, nothing stored)', async () => {
    const r = await fetch(`${serve.url}/region:us-east-1/other-site/store/key`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${serve.blobsToken}` },
      body: 'v',
    });
    expect(r.status).toBe(404);
    expect((await readJson(r)).error.code).toBe('NOT_FOUND');
  });
});
