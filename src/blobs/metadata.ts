import type { BlobMetadata } from './store.js';

/** Netlify Blobs protocol details shared by our server (server.ts) and our client (remote.ts). */
export const SIGNED_URL_ACCEPT = 'application/json;type=signed-url';
/** Site-wide stores travel as `site:{name}`; deploy stores as `deploy:{id}`. */
export const SITE_STORE_PREFIX = 'site:';
/** A key in a URL path: each `/`-separated segment percent-encoded, the slashes kept. */
export const encodeKeyPath = (key: string): string => key.split('/').map(encodeURIComponent).join('/');

/** The header pair @netlify/blobs uses for user metadata: `b64;` + base64(JSON). */
export const METADATA_HEADER = 'x-amz-meta-user';
export const METADATA_HEADER_EXTERNAL = 'netlify-blobs-metadata';
export const METADATA_MAX_BYTES = 2 * 1024;
/** What the official client counts against METADATA_MAX_BYTES: the header's name plus its value. */
export const metadataHeaderBytes = (encoded: string): number => METADATA_HEADER_EXTERNAL.length + encoded.length;
const BASE64_PREFIX = 'b64;';

export function encodeMetadata(metadata: BlobMetadata | undefined): string | null {
  if (!metadata || Object.keys(metadata).length === 0) return null;
  return BASE64_PREFIX + Buffer.from(JSON.stringify(metadata), 'utf8').toString('base64');
}

/** Decodes a metadata header; throws on a `b64;` payload that is not a JSON object. */
export function decodeMetadata(header: string | null | undefined): BlobMetadata {
  if (!header || !header.startsWith(BASE64_PREFIX)) return {};
  const parsed: unknown = JSON.parse(Buffer.from(header.slice(BASE64_PREFIX.length), 'base64').toString('utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('metadata must be a JSON object');
  return parsed as BlobMetadata;
}
