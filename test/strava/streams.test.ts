import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateActivities, generateAthletes, planForActivityId } from '../../src/strava/generator.js';
import { mean, normalizedPower } from '../../src/strava/metrics.js';
import { ALL_STREAM_KEYS, generateStreams } from '../../src/strava/streams.js';

const END = Date.UTC(2026, 10, 25, 12, 0, 0);
const athletes = generateAthletes(42, 12);
const sample = athletes.flatMap((a) =>
  generateActivities(a, { endMs: END, days: 365 })
    .filter((_, i) => i % 40 === 0)
    .map((s) => planForActivityId(a, s.id)!),
);

describe('streams agree with their summary', () => {
  it(`for ${sample.length} activities: NP ±1 W, mean power, distance, moving time, heart rate`, () => {
    expect(sample.length).toBeGreaterThan(60);
    for (const plan of sample) {
      const s = plan.summary;
      const st = generateStreams(plan);
      const time = st.time!.data as number[];
      expect(time.length).toBe(s.moving_time);
      expect((st.distance!.data as number[]).at(-1)).toBe(s.distance);
      if (s.average_watts !== undefined) {
        const watts = st.watts!.data as number[];
        expect(Math.abs(normalizedPower(watts) - s.weighted_average_watts!)).toBeLessThanOrEqual(1);
        expect(Math.abs(mean(watts) - s.average_watts)).toBeLessThanOrEqual(0.05);
        expect(watts.every((w) => Number.isInteger(w) && w >= 0 && w < 2500)).toBe(true);
      } else {
        expect(st.watts).toBeUndefined();
      }
      if (s.has_heartrate) {
        expect(Math.abs(mean(st.heartrate!.data as number[]) - s.average_heartrate!)).toBeLessThanOrEqual(0.5);
      }
      const velocity = st.velocity_smooth!.data as number[];
      expect(Math.max(...velocity)).toBeLessThan(25);
    }
  });

  it('climbs cost power and heart rate follows power with a lag', () => {
    // A ride with heart rate and enough climbing and descending to compare (asserted to exist,
    // so neither check below can pass by being skipped).
    let hilly: { st: ReturnType<typeof generateStreams>; watts: number[]; up: number[]; down: number[] } | undefined;
    for (const p of sample.filter((q) => q.summary.sport_type === 'Ride' && q.summary.has_heartrate)) {
      const st = generateStreams(p);
      const watts = st.watts!.data as number[];
      const grade = st.grade_smooth!.data as number[];
      const up = watts.filter((_, i) => grade[i]! > 2);
      const down = watts.filter((_, i) => grade[i]! < -2);
      if (up.length > 60 && down.length > 60) {
        hilly = { st, watts, up, down };
        break;
      }
    }
    expect(hilly).toBeDefined();
    const { st, watts, up, down } = hilly!;
    expect(mean(up)).toBeGreaterThan(mean(down));
    const hr = st.heartrate!.data as number[];
    const corr = (lag: number): number => {
      const xs = watts.slice(0, watts.length - lag);
      const ys = hr.slice(lag);
      const mx = mean(xs);
      const my = mean(ys);
      let sxy = 0;
      let sxx = 0;
      let syy = 0;
      for (let i = 0; i < xs.length; i++) {
        sxy += (xs[i]! - mx) * (ys[i]! - my);
        sxx += (xs[i]! - mx) ** 2;
        syy += (ys[i]! - my) ** 2;
      }
      return sxy / Math.sqrt(sxx * syy);
    };
    expect(corr(40)).toBeGreaterThan(corr(0));
  });

  it('are generated on demand, identically every time, only for the keys asked', () => {
    const plan = sample[0]!;
    const a = JSON.stringify(generateStreams(plan));
    expect(JSON.stringify(generateStreams(plan))).toBe(a);
    expect(Object.keys(generateStreams(plan, ['watts', 'heartrate']))).toEqual(
      ['heartrate', 'watts'].filter((k) => k in JSON.parse(a)),
    );
    const full = generateStreams(plan);
    for (const key of Object.keys(full)) expect(ALL_STREAM_KEYS).toContain(key);
    expect(full.latlng!.data[0]).toHaveLength(2);
    expect(full.time!.series_type).toBe('time');
    expect(full.distance!.series_type).toBe('distance');
  });
});

describe('golden output', () => {
  it('seed 42 gives a fixed checksum of athletes + activities + one stream set', () => {
    const golden = generateAthletes(42, 3);
    const acts = golden.map((a) => generateActivities(a, { endMs: Date.UTC(2026, 0, 15), days: 30 }));
    const first = acts[0]![0]!;
    const streams = generateStreams(planForActivityId(golden[0]!, first.id)!);
    const hash = createHash('sha256')
      .update(JSON.stringify({ athletes: golden.map((a) => a.profile), acts, streams }))
      .digest('hex');
    expect(hash).toBe('2196d24219becc459f209be094710d69621dd403c5d022dee1a6a62f692554ef');
  });
});
