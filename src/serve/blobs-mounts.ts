import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlobsHandler } from '../blobs/server.js';
import { splitUrl } from '../emulator/node-adapter.js';
import type { Mount } from '../emulator/server.js';

const API_PREFIX = '/api/v1/blobs/';
const REGION_PREFIX = '/region:';

/** Passes only requests whose path `matches` to the handler; anything else falls through. */
const guarded = (prefix: string, matches: (path: string) => boolean, handler: BlobsHandler): Mount => ({
  prefix,
  handler: (req: IncomingMessage, res: ServerResponse) => (matches(splitUrl(req.url ?? '/')[0]) ? handler(req, res) : Promise.resolve(false)),
});

/**
 * Where the official @netlify/blobs client speaks at serve's root (it drops any path prefix): the
 * API form `/api/v1/blobs/...`, the edge form `/{siteID}` and `/{siteID}/...`, and the edge form
 * with a region, `/region:{region}/{siteID}/...` (deploy stores, and `getStore({ region })`).
 */
export function blobsMounts(handler: BlobsHandler, siteID: string): Mount[] {
  const site = `/${siteID}`;
  const underSite = (path: string): boolean => path === site || path.startsWith(`${site}/`);
  const regionRe = /^\/region:[a-z0-9-]+(\/.*)?$/;
  return [
    { prefix: API_PREFIX, handler },
    guarded(site, underSite, handler),
    guarded(REGION_PREFIX, (path) => underSite(regionRe.exec(path)?.[1] ?? ''), handler),
  ];
}
