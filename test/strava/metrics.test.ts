import { describe, expect, it } from 'vitest';
import {
  intensityFactor, normalizedPower, powerZoneBounds, timeInZones, trainingLoad, trainingStressScore, hrZoneBounds,
} from '../../src/strava/metrics.js';

describe('normalized power', () => {
  it('equals the power of a perfectly steady ride', () => {
    expect(normalizedPower(new Array(600).fill(200))).toBeCloseTo(200, 9);
  });

  it('matches a hand computation for a step from 100 W to 300 W', () => {
    // 30 s at 100 W then 30 s at 300 W: 31 rolling windows averaging 100 + 200k/30 W, k = 0..30.
    const watts = [...new Array(30).fill(100), ...new Array(30).fill(300)];
    expect(normalizedPower(watts)).toBeCloseTo(223.0694887793096, 9);
  });

  it('weights surges above the mean (10 s off, 20 s at 400 W, 30 s off)', () => {
    const watts = [...new Array(10).fill(0), ...new Array(20).fill(400), ...new Array(30).fill(0)];
    expect(normalizedPower(watts)).toBeCloseTo(220.59466440352836, 9);
  });

  it('falls back to the mean for rides shorter than the 30 s window', () => {
    expect(normalizedPower([100, 200, 300])).toBe(200);
    expect(normalizedPower([])).toBe(0);
  });
});

describe('IF and TSS', () => {
  it('gives 100 TSS for one hour at FTP', () => {
    expect(trainingStressScore(3600, 250, 250)).toBeCloseTo(100, 9);
  });

  it('gives IF 0.8 and TSS 128 for two hours at NP 200 W with FTP 250 W', () => {
    expect(intensityFactor(200, 250)).toBeCloseTo(0.8, 12);
    expect(trainingStressScore(7200, 200, 250)).toBeCloseTo(128, 9);
  });

  it('returns 0 rather than dividing by a missing FTP', () => {
    expect(trainingStressScore(3600, 200, 0)).toBe(0);
    expect(intensityFactor(200, 0)).toBe(0);
  });
});

describe('CTL / ATL / TSB', () => {
  it('moves fitness by 1/42 and fatigue by 1/7 of the day\'s TSS from zero', () => {
    const [d1, d2] = trainingLoad([{ date: 'd1', tss: 100 }, { date: 'd2', tss: 0 }]);
    expect(d1!.ctl).toBeCloseTo(100 / 42, 9);
    expect(d1!.atl).toBeCloseTo(100 / 7, 9);
    expect(d1!.tsb).toBe(0);
    expect(d2!.tsb).toBeCloseTo(100 / 42 - 100 / 7, 9);
    expect(d2!.ctl).toBeCloseTo((100 / 42) * (41 / 42), 9);
    expect(d2!.atl).toBeCloseTo((100 / 7) * (6 / 7), 9);
  });

  it('converges to a steady daily load', () => {
    const days = Array.from({ length: 600 }, (_, i) => ({ date: String(i), tss: 80 }));
    const last = trainingLoad(days).at(-1)!;
    expect(last.ctl).toBeCloseTo(80, 2);
    expect(last.atl).toBeCloseTo(80, 6);
    expect(last.tsb).toBeCloseTo(0, 2);
  });
});

describe('time in zones', () => {
  it('counts one second per sample, a sample on a bound going to the higher zone', () => {
    expect(timeInZones([100, 150, 200, 250, 300], [150, 250])).toEqual([1, 2, 2]);
  });

  it('uses Coggan\'s seven power zones and five heart-rate zones', () => {
    powerZoneBounds(200).forEach((b, i) => expect(b).toBeCloseTo([110, 150, 180, 210, 240, 300][i]!, 9));
    expect(timeInZones([100, 120, 160, 190, 220, 250, 400], powerZoneBounds(200))).toEqual([1, 1, 1, 1, 1, 1, 1]);
    hrZoneBounds(200).forEach((b, i) => expect(b).toBeCloseTo([120, 140, 160, 180][i]!, 9));
  });
});
