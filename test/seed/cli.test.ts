import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, scratchDir } from '../helpers/cli.js';
import { freshPostgresDb, migratedInto } from '../helpers/db.js';

describe('veloready seed (CLI)', () => {
  it('seeds the embedded database, prints plain progress off a terminal, and a second run changes nothing', async () => {
    const cwd = scratchDir('vr-seed-');
    // What `veloready db migrate` leaves in ./.veloready, without its initdb and migrations.
    await migratedInto(join(cwd, '.veloready'));
    const first = await runCli(['seed', '--athletes', '2', '--days', '14', '--seed', '9', '--athlete-id', '104662'], { cwd });
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(/^3 athletes, \d+ activities \(seed 9, 14 days\)/);
    expect(first.stderr).toContain('database: embedded');
    expect(first.stderr).toMatch(/activities: 3\/3/);
    const second = await runCli(['seed', '--athletes', '2', '--days', '14', '--seed', '9', '--athlete-id', '104662', '--json'], { cwd });
    expect(second.exitCode).toBe(0);
    const doc = JSON.parse(second.stdout);
    expect(doc.inserted).toEqual({ users: 0, athletes: 0, activities: 0, streams: 0 });
    expect(doc.generated.athletes).toBe(3);
  }, 60_000);

  it('rejects a bad flag value with exit 2', async () => {
    const res = await runCli(['seed', '--days', 'lots'], { cwd: scratchDir('vr-seed-') });
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toContain('--days');
  });

  it.skipIf(!process.env.DATABASE_URL)('tells the user to migrate first when the database has no schema', async () => {
    const db = await freshPostgresDb();
    try {
      const res = await runCli(['seed', '--athletes', '1', '--days', '3', '--db-url', db.url, '--json'], { cwd: scratchDir('vr-seed-') });
      expect(res.exitCode).toBe(1);
      expect(JSON.parse(res.stdout).error).toMatchObject({ code: 'SEED_NO_SCHEMA' });
    } finally {
      await db.drop();
    }
  });
});
