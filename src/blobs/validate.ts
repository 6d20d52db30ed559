import { usageError } from '../errors.js';

/** Limits and rules exactly as @netlify/blobs' Store.validateKey / validateStoreName enforce them. */
export const KEY_MAX_BYTES = 600;
export const STORE_NAME_MAX_BYTES = 64;

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');
/** A UTF-16 unit is at most 3 UTF-8 bytes: short strings need no byte count (every cache read checks its key). */
const fitsBytes = (s: string, max: number): boolean => s.length * 3 <= max || utf8Length(s) <= max;

/** The reason a key is invalid, or null when Netlify accepts it. */
export function keyProblem(key: string): string | null {
  if (key === '') return 'Blob key must not be empty.';
  if (key.startsWith('/') || key.startsWith('%2F')) return 'Blob key must not start with forward slash (/).';
  if (!fitsBytes(key, KEY_MAX_BYTES)) {
    return `Blob key must be a sequence of Unicode characters whose UTF-8 encoding is at most ${KEY_MAX_BYTES} bytes long.`;
  }
  return null;
}

/** The reason a store name is invalid, or null when Netlify accepts it. */
export function storeNameProblem(name: string): string | null {
  if (name === '') return 'Store name must not be empty.';
  if (name.includes('/') || name.includes('%2F')) return 'Store name must not contain forward slashes (/).';
  if (!fitsBytes(name, STORE_NAME_MAX_BYTES)) {
    return `Store name must be a sequence of Unicode characters whose UTF-8 encoding is at most ${STORE_NAME_MAX_BYTES} bytes long.`;
  }
  return null;
}

export function validateKey(key: string): void {
  const problem = keyProblem(key);
  if (problem) throw usageError('INVALID_BLOB_KEY', problem, 'keys are 1–600 bytes and must not start with "/"');
}

export function validateStoreName(name: string): void {
  const problem = storeNameProblem(name);
  if (problem) throw usageError('INVALID_STORE_NAME', problem, 'store names are 1–64 bytes without "/"');
}
