import type { BlobMetadata, SetOptions } from './store.js';

const MS_PER_S = 1000;

/**
 * When an entry written at `writtenAt` expires (ms since epoch), or null for never.
 * Explicit options win; otherwise `metadata.ttl` (seconds from the write), which is what the
 * production cache code stores and what Netlify itself never enforces.
 */
export function expiryOf(writtenAt: number, metadata: BlobMetadata | undefined, options: SetOptions = {}): number | null {
  if (typeof options.expiresAt === 'number' && Number.isFinite(options.expiresAt)) return options.expiresAt;
  if (typeof options.ttlSeconds === 'number' && Number.isFinite(options.ttlSeconds)) {
    return writtenAt + options.ttlSeconds * MS_PER_S;
  }
  return metadataExpiry(writtenAt, metadata);
}

/**
 * Expiry implied by metadata alone: `expiresAt` (ms since epoch, what the remote client writes for an
 * absolute expiry, since Netlify has no TTL of its own) or `ttl` (seconds from the write, so only
 * when the write time is known).
 */
export function metadataExpiry(writtenAt: number | undefined, metadata: BlobMetadata | undefined): number | null {
  const at = metadata?.['expiresAt'];
  if (typeof at === 'number' && Number.isFinite(at)) return at;
  if (writtenAt === undefined) return null;
  const ttl = metadata?.['ttl'];
  const seconds = typeof ttl === 'number' ? ttl : typeof ttl === 'string' && ttl.trim() !== '' ? Number(ttl) : NaN;
  return Number.isFinite(seconds) ? writtenAt + seconds * MS_PER_S : null;
}

export const isExpired = (expiresAt: number | null, now: number): boolean => expiresAt !== null && expiresAt <= now;
