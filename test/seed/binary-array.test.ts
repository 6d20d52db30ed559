import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryArray } from '../../src/seed/binary-array.js';
import type { Sql } from '../../src/db/sql.js';
import { freshPostgresDb, type PostgresTestDb } from '../helpers/db.js';

describe('binary arrays', () => {
  it('encode the header, NULLs and big-endian values', () => {
    const buf = binaryArray('integer', [1, null, -2]);
    expect([...buf.subarray(0, 20)]).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 23, 0, 0, 0, 3, 0, 0, 0, 1]);
    expect(buf.readInt32BE(20)).toBe(4);
    expect(buf.readInt32BE(24)).toBe(1);
    expect(buf.readInt32BE(28)).toBe(-1);
    expect(buf.readInt32BE(36)).toBe(-2);
    expect(() => binaryArray('text', ['x'])).toThrow();
  });
});

describe.skipIf(!process.env.DATABASE_URL)('binary arrays on Postgres', () => {
  let db: PostgresTestDb;
  let sql: Sql;
  beforeAll(async () => {
    db = await freshPostgresDb();
    sql = db.sql;
  });
  afterAll(async () => db?.drop());

  it('round-trip the values Postgres reads back', async () => {
    const res = await sql.query<Record<string, string[]>>(
      `select $1::bigint[]::text[] as big, $2::double precision[]::text[] as dbl, $3::boolean[]::text[] as bool,
              $4::timestamptz[] as tz, $5::timestamp[]::text[] as ts, $6::real[]::text[] as r`,
      [
        binaryArray('bigint', [104662_00041486, -5, null, 2 ** 40 + 7]),
        binaryArray('double precision', [1.5, null, 86308.6]),
        binaryArray('boolean', [true, false, null]),
        binaryArray('timestamptz', ['2026-09-27T08:03:09Z', '1999-12-31T23:59:59.5Z']),
        binaryArray('timestamp', ['2026-09-27T10:03:09']),
        binaryArray('real', [72.5]),
      ],
    );
    const row = res.rows[0]!;
    expect(row.big).toEqual(['10466200041486', '-5', null, String(2 ** 40 + 7)]);
    expect(row.dbl).toEqual(['1.5', null, '86308.6']);
    expect(row.bool).toEqual(['true', 'false', null]);
    expect((row.tz as unknown as Date[]).map((d) => d.toISOString())).toEqual(['2026-09-27T08:03:09.000Z', '1999-12-31T23:59:59.500Z']);
    expect(row.ts).toEqual(['2026-09-27 10:03:09']);
    expect(row.r).toEqual(['72.5']);
  });
});
