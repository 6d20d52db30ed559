import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { mintAccessToken } from '../../src/auth/jwt.js';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { ManualClock } from '../../src/clock.js';
import { bannerLines, serveSummary } from '../../src/serve/summary.js';
import { startTestServe, TEST_SECRET } from './helpers.js';

const STRANGER = '0a77ac4e-0000-4000-8000-00000000057a';

/** Issue 15 §1: rows one tenant wrote (before users lost that right) never keep serve --seed from starting. */
describe('serve --seed with athlete rows claimed by a tenant', () => {
  it('starts, seeds every other athlete, and names the one it skipped', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'));
    const first = await startTestServe({ clock, seedAthletes: 1 });
    const { dataDir } = first;
    try {
      // As the reference's policy allowed: 1000001's user emptied and re-keyed its row; a stranger claimed 1000002.
      await first.sql.query('delete from public.activities where athlete_id = 1000001');
      await first.sql.query('update public.athletes set id = 424242 where id = 1000001');
      await first.sql.query(`insert into auth.users (id, email) values ($1, 'stranger@example.com')`, [STRANGER]);
      await first.sql.query(`insert into public.athletes (id, user_id) values (1000002, $1)`, [STRANGER]);
      await first.close();

      const second = await startTestServe({ clock, seedAthletes: 3, dataDir });
      try {
        expect(second.seeded?.skippedAthletes).toEqual([1000001]);
        expect(bannerLines(serveSummary(second), false).join('\n')).toContain('athlete(s) 1000001 not seeded');
        const { rows } = await second.sql.query<{ id: string; user_id: string; n: number }>(
          `select a.id::text as id, a.user_id::text as user_id, (select count(*)::int from public.activities x where x.athlete_id = a.id) as n
             from public.athletes a order by a.id`,
        );
        const byId = new Map(rows.map((r) => [r.id, r]));
        expect(byId.get('1000003')).toMatchObject({ user_id: userIdForAthlete(1000003), n: expect.any(Number) });
        expect(byId.get('1000003')!.n).toBeGreaterThan(100);
        expect(byId.get('1000002')).toEqual({ id: '1000002', user_id: STRANGER, n: 0 });
        expect(byId.has('1000001')).toBe(false);
        const token = mintAccessToken({ secret: TEST_SECRET, clock, athleteId: 1000003 }).token;
        const res = await fetch(`${second.url}/api/activities?limit=1`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
