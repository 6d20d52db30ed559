import { createHash } from 'node:crypto';

const ETAG_HEX_CHARS = 32;

/**
 * A strong, quoted ETag (like Netlify's) for one write: a hash of the location, a per-write nonce,
 * the bytes and the metadata, so two writes never share one even with equal content.
 */
export function etagFor(store: string, key: string, nonce: Uint8Array, data: Uint8Array, metadataJson: string): string {
  const hash = createHash('sha256')
    .update(`${store}\0${key}\0`)
    .update(nonce)
    .update('\0')
    .update(data)
    .update('\0')
    .update(metadataJson)
    .digest('hex');
  return `"${hash.slice(0, ETAG_HEX_CHARS)}"`;
}
