import { randomFillSync } from 'node:crypto';

/**
 * Monotonic ULIDs (https://github.com/ulid/spec), the form of Netlify's `x-nf-request-id`:
 * 10 Crockford base32 characters of milliseconds, then 16 of randomness. Within one millisecond
 * the random part counts up, so ids sort in the order they were made; a new millisecond draws
 * new randomness. An id costs one string concatenation: its first 25 characters change only
 * every 32 ids.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The random part as two 40-bit halves of 8 characters each. */
const HALF = 2 ** 40;

function base32(n: number, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = ALPHABET[n % 32]! + out;
    n = Math.floor(n / 32);
  }
  return out;
}

/** Random bytes for 128 draws at a time (two per new millisecond): one randomFillSync per draw would cost more than the id. */
const pool = Buffer.alloc(640);
let poolAt = pool.length;
function random40(): number {
  if (poolAt + 5 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const n = pool.readUIntBE(poolAt, 5);
  poolAt += 5;
  return n;
}

export function createUlid(now: () => number = Date.now): () => string {
  let lastMs = -1;
  let high = 0;
  let low = 0;
  let head = '';
  const newHead = (): void => {
    head = base32(lastMs, 10) + base32(high, 8) + base32(Math.floor(low / 32), 7);
  };
  return () => {
    const ms = now();
    if (ms > lastMs) {
      lastMs = ms;
      high = random40();
      // Leaves room to count up within the millisecond without touching `high`.
      low = random40() % (HALF / 2);
      newHead();
    } else if (++low >= HALF) {
      low = 0;
      high = (high + 1) % HALF;
      newHead();
    } else if (low % 32 === 0) {
      newHead();
    }
    return head + ALPHABET[low % 32]!;
  };
}

export const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
