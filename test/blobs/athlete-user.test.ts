import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { resolveAthleteUserId } from '../../src/cache/athlete-user.js';
import { openPglite } from '../../src/db/pglite.js';
import { migratedDataDir, migratedPostgres, type PostgresTestDb } from '../helpers/db.js';
import { insertAthlete } from './real-athlete.js';

describe("resolveAthleteUserId: the user id that keys an athlete's briefs", () => {
  let dataDir: string;
  let userId: string;
  beforeAll(async () => {
    dataDir = await migratedDataDir();
    const sql = await openPglite({ dataDir, skipLock: true });
    try {
      userId = await insertAthlete(sql, 7);
    } finally {
      await sql.close();
    }
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("reads athletes.user_id from the embedded database, with no notice", async () => {
    expect(userId).not.toBe(userIdForAthlete(7));
    expect(await resolveAthleteUserId(7, { dataDir })).toEqual({ userId });
  });

  it('falls back to the derived id, saying why, for an athlete the database does not have', async () => {
    const r = await resolveAthleteUserId(8, { dataDir });
    expect(r.userId).toBe(userIdForAthlete(8));
    expect(r.notice).toMatch(/^athlete 8 is not in embedded .*; matching athlete 8's briefs by the derived user id /);
  });

  it('falls back without creating an embedded database where there is none', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'vr-no-db-'));
    try {
      const r = await resolveAthleteUserId(7, { dataDir: empty });
      expect(r).toMatchObject({ userId: userIdForAthlete(7), notice: expect.stringMatching(/^no database/) });
      expect(existsSync(join(empty, 'pg'))).toBe(false);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('falls back when the --db-url server does not answer, and never shows its password', async () => {
    const r = await resolveAthleteUserId(7, { dbUrl: 'postgres://app:s3cret-pw@127.0.0.1:1/app', dataDir });
    expect(r.userId).toBe(userIdForAthlete(7));
    expect(r.notice).toMatch(/^no database: Could not connect to /);
    expect(r.notice).not.toContain('s3cret-pw');
  });
});

describe.skipIf(!process.env.DATABASE_URL)('resolveAthleteUserId against Postgres (DATABASE_URL)', () => {
  let db: PostgresTestDb;
  beforeAll(async () => {
    db = await migratedPostgres();
  });
  afterAll(() => db.drop());

  it('reads athletes.user_id through --db-url', async () => {
    const userId = await insertAthlete(db.sql, 104662);
    expect(await resolveAthleteUserId(104662, { dbUrl: db.url, dataDir: tmpdir() })).toEqual({ userId });
  });
});
