/**
 * Postgres binary array format (what `array_recv` reads) for fixed-width element types. The `pg`
 * driver sends a Buffer parameter in binary format, so the server skips parsing text for every
 * number and timestamp of a bulk insert.
 */
const ELEMENT: Record<string, { oid: number; size: number }> = {
  bigint: { oid: 20, size: 8 },
  integer: { oid: 23, size: 4 },
  real: { oid: 700, size: 4 },
  'double precision': { oid: 701, size: 8 },
  boolean: { oid: 16, size: 1 },
  timestamp: { oid: 1114, size: 8 },
  timestamptz: { oid: 1184, size: 8 },
};
const HEADER_BYTES = 20;
const TWO_POW_32 = 4294967296;
/** Postgres timestamps count microseconds from 2000-01-01 UTC. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

export const hasBinaryEncoding = (type: string): boolean => type in ELEMENT;

/** Writes a safe integer as a big-endian int64 (two's complement) without BigInt. */
function writeInt64(buf: Buffer, value: number, offset: number): void {
  const hi = Math.floor(value / TWO_POW_32);
  buf.writeInt32BE(hi, offset);
  buf.writeUInt32BE(value - hi * TWO_POW_32, offset + 4);
}

/** Epoch ms of a timestamp value: a number (ms) or an ISO string (naive strings read as UTC). */
function timestampMs(value: unknown): number {
  if (typeof value === 'number') return value;
  const text = String(value);
  const ms = Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
  if (Number.isNaN(ms)) throw new RangeError(`not a timestamp: ${JSON.stringify(text)}`);
  return ms;
}

/** A one-dimensional binary array of `type`; null/undefined become SQL NULL. */
export function binaryArray(type: string, values: readonly unknown[]): Buffer {
  const el = ELEMENT[type];
  if (!el) throw new Error(`no binary encoding for ${type}`);
  let nulls = 0;
  for (const v of values) if (v === null || v === undefined) nulls++;
  const n = values.length;
  const buf = Buffer.allocUnsafe(HEADER_BYTES + n * 4 + (n - nulls) * el.size);
  buf.writeInt32BE(1, 0); // dimensions
  buf.writeInt32BE(nulls > 0 ? 1 : 0, 4);
  buf.writeInt32BE(el.oid, 8);
  buf.writeInt32BE(n, 12);
  buf.writeInt32BE(1, 16); // lower bound
  let o = HEADER_BYTES;
  for (const v of values) {
    if (v === null || v === undefined) {
      buf.writeInt32BE(-1, o);
      o += 4;
      continue;
    }
    buf.writeInt32BE(el.size, o);
    o += 4;
    switch (el.oid) {
      case 20:
        writeInt64(buf, Number(v), o);
        break;
      case 23:
        buf.writeInt32BE(Number(v), o);
        break;
      case 700:
        buf.writeFloatBE(Number(v), o);
        break;
      case 701:
        buf.writeDoubleBE(Number(v), o);
        break;
      case 16:
        buf.writeUInt8(v ? 1 : 0, o);
        break;
      default:
        writeInt64(buf, Math.round((timestampMs(v) - PG_EPOCH_MS) * 1000), o);
    }
    o += el.size;
  }
  return buf;
}
