import { describe, expect, it } from 'vitest';
import {
  generateActivities, generateAthlete, generateAthleteWithId, generateAthletes, parseActivityId, planForActivityId,
} from '../../src/strava/generator.js';
import { createRng } from '../../src/strava/prng.js';

const END = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('seeded PRNG', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const a = createRng(42, 'x');
    const b = createRng(42, 'x');
    const c = createRng(43, 'x');
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
    expect(seqA.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});

describe('athletes', () => {
  it('are identical for the same seed and differ for another seed', () => {
    expect(JSON.stringify(generateAthletes(42, 5))).toBe(JSON.stringify(generateAthletes(42, 5)));
    expect(JSON.stringify(generateAthletes(42, 5))).not.toBe(JSON.stringify(generateAthletes(7, 5)));
  });

  it('have distinct ids and plausible physiology', () => {
    const athletes = generateAthletes(42, 200);
    expect(new Set(athletes.map((a) => a.profile.id)).size).toBe(200);
    for (const a of athletes) {
      expect(a.ftp / a.profile.weight!).toBeGreaterThan(1.5);
      expect(a.ftp / a.profile.weight!).toBeLessThan(5.5);
      expect(a.maxHeartrate).toBeGreaterThan(a.restingHeartrate + 90);
      expect(['M', 'F']).toContain(a.profile.sex);
      expect(a.profile.profile).toMatch(/^https:\/\//);
    }
  });

  it('can be generated for a given id, such as serve\'s demo athlete 104662', () => {
    const demo = generateAthleteWithId(104662);
    expect(demo.profile.id).toBe(104662);
    expect(generateAthleteWithId(104662)).toEqual(demo);
    expect(() => generateAthleteWithId(-1)).toThrow(RangeError);
  });
});

describe('activities', () => {
  const athletes = generateAthletes(42, 30);
  const year = athletes.map((a) => generateActivities(a, { endMs: END, days: 365 }));

  it('never collide across athletes and map back to their athlete', () => {
    const ids = year.flat().map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [i, list] of year.entries()) {
      for (const act of list.slice(0, 20)) expect(parseActivityId(act.id)?.athleteId).toBe(athletes[i]!.profile.id);
    }
  });

  it('are mostly rides with some runs, rest days and lighter recovery weeks', () => {
    const all = year.flat();
    const rides = all.filter((a) => ['Ride', 'VirtualRide', 'GravelRide'].includes(a.sport_type)).length;
    const runs = all.filter((a) => a.sport_type === 'Run').length;
    expect(rides / all.length).toBeGreaterThan(0.75);
    expect(runs).toBeGreaterThan(0);
    expect(new Set(all.map((a) => a.sport_type))).toEqual(new Set(['Ride', 'VirtualRide', 'GravelRide', 'Run']));
    for (const list of year) {
      expect(list.length).toBeGreaterThan(120);
      expect(list.length).toBeLessThan(330);
    }
    // Weekly hours: every athlete has weeks well below their median (recovery) in a year.
    for (const list of year.slice(0, 10)) {
      const weeks = new Map<number, number>();
      for (const a of list) {
        const w = Math.floor((Date.parse(a.start_date_local) / 86_400_000 + 3) / 7);
        weeks.set(w, (weeks.get(w) ?? 0) + a.moving_time);
      }
      const hours = [...weeks.values()].sort((x, y) => x - y);
      expect(hours[Math.floor(hours.length * 0.15)]!).toBeLessThan(hours[Math.floor(hours.length / 2)]! * 0.8);
    }
  });

  it('end at the clock\'s now and are stable whatever the window length', () => {
    const a = athletes[0]!;
    const short = generateActivities(a, { endMs: END, days: 30 });
    const long = year[0]!;
    for (const act of short) expect(Date.parse(act.start_date) + act.elapsed_time * 1000).toBeLessThanOrEqual(END);
    expect(long.slice(-short.length)).toEqual(short);
    expect(Date.parse(short[0]!.start_date)).toBeGreaterThanOrEqual(END - 31 * 86_400_000);
  });

  it('have summary fields consistent with each other', () => {
    for (const act of year.flat().slice(0, 2000)) {
      expect(Math.abs(act.average_speed * act.moving_time - act.distance)).toBeLessThanOrEqual(0.0005 * act.moving_time + 0.1);
      expect(act.elapsed_time).toBeGreaterThanOrEqual(act.moving_time);
      expect(act.max_speed).toBeGreaterThan(act.average_speed);
      expect(act.type === act.sport_type || (act.sport_type === 'GravelRide' && act.type === 'Ride')).toBe(true);
      if (act.average_watts !== undefined) {
        expect(act.weighted_average_watts!).toBeGreaterThanOrEqual(act.average_watts);
        expect(act.kilojoules).toBeCloseTo((act.average_watts * act.moving_time) / 1000, 0);
        expect(act.device_watts).toBe(true);
      } else {
        expect(act.sport_type).toBe('Run');
      }
      if (act.has_heartrate) expect(act.max_heartrate!).toBeGreaterThan(act.average_heartrate!);
      expect(act.start_date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(act.timezone).toMatch(/^\(GMT[+-]\d\d:\d\d\) \w+\/\w+/);
    }
  });

  it('generates a year for 1,000 athletes cheaply', () => {
    const t0 = performance.now();
    let n = 0;
    for (let i = 0; i < 1000; i++) n += generateActivities(generateAthlete(42, i), { endMs: END, days: 365 }).length;
    expect(n).toBeGreaterThan(150_000);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('finds the plan behind an id only for its own athlete', () => {
    const act = year[0]![0]!;
    expect(planForActivityId(athletes[0]!, act.id)?.summary).toEqual(act);
    expect(planForActivityId(athletes[1]!, act.id)).toBeUndefined();
  });
});


describe('timestamps', () => {
  it('format like Date.toISOString without milliseconds, across years and leap days', async () => {
    const { isoSeconds } = await import('../../src/strava/generator.js');
    for (const ms of [0, Date.UTC(2024, 1, 29, 23, 59, 59), Date.UTC(2000, 11, 31, 12, 0, 1), Date.UTC(1969, 6, 20, 20, 17, 40), Date.UTC(2100, 2, 1)]) {
      expect(isoSeconds(ms)).toBe(new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    }
    for (let ms = Date.UTC(2020, 0, 1); ms < Date.UTC(2030, 0, 1); ms += 86_400_000 * 3 + 3_723_000) {
      expect(isoSeconds(ms)).toBe(new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    }
  });
});
