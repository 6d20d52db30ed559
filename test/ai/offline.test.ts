import { describe, expect, it } from 'vitest';
import { createOfflineAi, generateOfflineBrief, whenOf } from '../../src/ai/offline.js';
import type { BriefInput } from '../../src/ai/port.js';
import { planSession } from '../../src/ai/session.js';

const base: BriefInput = {
  athleteId: 104662,
  userId: '2b1c6a52-8d7e-5f4a-9b3c-1d2e3f4a5b6c',
  firstName: 'Anna',
  date: '2026-03-05',
  ftp: 265,
  ctl: 62.4,
  atl: 70.1,
  tsb: -7.7,
  week_tss: 520,
  days_since_last: 1,
  days_since_rest: 2,
  last_rides: [
    { name: 'Hilly loop', date: '2026-03-04', tss: 142, moving_time_min: 125, weighted_average_watts: 231 },
    { name: 'Coffee spin', date: '2026-03-02', tss: 35, moving_time_min: 60, average_watts: 150 },
  ],
};
const brief = (over: Partial<BriefInput> = {}) => generateOfflineBrief({ ...base, ...over });

describe('offline AI brief', () => {
  it("is written from the athlete's own numbers and last ride", () => {
    const text = brief();
    expect(text).toContain('Anna');
    expect(text).toMatch(/62/);
    expect(text).toMatch(/70/);
    expect(text).toMatch(/-8/);
    expect(text).toContain('"Hilly loop" (2h 05m, NP 231 W, TSS 142)');
    expect(text).toMatch(/yesterday's/i);
    expect(text.length).toBeLessThan(600);
  });

  it('is the same text for the same user and day, and varies its phrasing across days and users', () => {
    expect(brief()).toBe(brief());
    const days = new Set(Array.from({ length: 10 }, (_, i) => brief({ date: `2026-03-${String(10 + i)}`, last_rides: [] })));
    expect(days.size).toBeGreaterThan(1);
    const users = new Set(Array.from({ length: 10 }, (_, i) => brief({ userId: `user-${i}` })));
    expect(users.size).toBeGreaterThan(1);
  });

  it('very negative form (TSB < -20) recommends a recovery spin with a watt ceiling from FTP', () => {
    const text = brief({ ctl: 60, atl: 85, tsb: -25 });
    expect(text).toMatch(/easy spin under 145 W/);
    expect(planSession({ ...base, tsb: -25 }).level).toBe('recovery');
  });

  it('fresh form (TSB > 5) recommends a quality session with target watts from FTP', () => {
    expect(brief({ ctl: 60, atl: 50, tsb: 10 })).toMatch(/2 × 20 min at threshold, 250–265 W/);
    expect(brief({ ctl: 60, atl: 40, tsb: 20 })).toMatch(/5 × 4 min VO2max at 285–315 W/);
  });

  it('recovery signals make the session easier and say why', () => {
    const hr = brief({ tsb: 10, resting_hr_trend: 4 });
    expect(hr).toMatch(/Resting heart rate is up 4 bpm/);
    expect(hr).toMatch(/sweet spot/);
    const streak = brief({ tsb: -15, days_since_rest: 8 });
    expect(streak).toMatch(/8 days in a row/);
    expect(streak).toMatch(/easy spin/);
    expect(brief({ tsb: -35, atl: 97, days_since_rest: 5 })).toMatch(/full day off the bike/);
    expect(brief({ tsb: 20, days_since_last: 6 })).toMatch(/After 6 days off.*sweet spot/);
  });

  it('without FTP, power or rides it still writes a sensible brief by feel', () => {
    const text = brief({ ftp: null, tsb: 10, last_rides: [{ name: 'Commute', date: '2026-02-20', tss: 30, moving_time_min: 40, average_heartrate: 128 }], firstName: null });
    expect(text).not.toMatch(/\d+ W\b/);
    expect(text).toMatch(/threshold \(hard but steady\)/);
    expect(text).toContain('"Commute" (40 min, avg HR 128, TSS 30)');
    expect(text).toMatch(/20 Feb's "Commute"/);
    expect(brief({ last_rides: [] })).toMatch(/No rides logged|Nothing on the log/);
  });

  it('names recent rides by weekday', () => {
    expect(whenOf('2026-03-05', '2026-03-05')).toBe("today's");
    expect(whenOf('2026-03-02', '2026-03-05')).toBe("Monday's");
  });

  it('the offline Ai reports its model and prompt version', async () => {
    const out = await createOfflineAi().brief(base);
    expect(out).toEqual({ text: brief(), model: 'veloready-offline', promptVersion: 'v1' });
  });
});
