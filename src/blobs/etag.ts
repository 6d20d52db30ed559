import { randomBytes } from 'node:crypto';

const PREFIX_BYTES = 8;

/**
 * Strong, quoted ETags (like Netlify's, opaque) for one writer: a random prefix per open store and
 * a counter, so two writes never share one, even with equal content or from two processes sharing
 * the file. Hashing the bytes would cost more than the write itself and buy nothing: no reader
 * derives anything from an ETag but equality.
 */
export function etagSource(): () => string {
  const prefix = randomBytes(PREFIX_BYTES).toString('hex');
  let counter = 0;
  return () => `"${prefix}${(++counter).toString(16).padStart(8, '0')}"`;
}
