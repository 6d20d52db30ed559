/**
 * 1 Hz streams for a generated activity, made on demand and calibrated to its summary:
 * normalized power = weighted_average_watts (±1 W), mean power = average_watts, last distance =
 * distance, one sample per second of moving time, mean heart rate = average_heartrate.
 * Power follows the workout and the gradient; speed follows power through a physics model;
 * heart rate lags power.
 */
import type { StravaStream, StravaStreamSet, StreamKey } from './port.js';
import { createRng, type Rng } from './prng.js';
import { speedForPower, type ActivityPlan } from './generator.js';
import { normalizedPower, mean } from './metrics.js';

export const ALL_STREAM_KEYS: readonly StreamKey[] = [
  'time', 'distance', 'latlng', 'altitude', 'velocity_smooth', 'heartrate', 'cadence', 'watts', 'moving', 'grade_smooth',
];
const MAX_GRADE = 0.12;
const HR_LAG_S = 40;
const METRES_PER_DEGREE = 111_320;
const BIKE_MASS_KG = 9;

const round = (v: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
};

/** Grade (fraction) per second: a smoothed random walk between held targets. */
function gradeProfile(rng: Rng, n: number, hilliness: number): Float64Array {
  const g = new Float64Array(n);
  const amplitude = Math.min(MAX_GRADE, hilliness / 220);
  let target = 0;
  let hold = 0;
  let current = 0;
  for (let i = 0; i < n; i++) {
    if (hold-- <= 0) {
      target = Math.max(-MAX_GRADE, Math.min(MAX_GRADE, rng.normal() * amplitude));
      hold = rng.int(60, 600);
    }
    current += (target - current) / 45;
    g[i] = current;
  }
  return g;
}

/** Relative effort per second for the workout's structure (1 = the ride's typical effort). */
function effortProfile(rng: Rng, n: number, plan: ActivityPlan, grade: Float64Array): Float64Array {
  const e = new Float64Array(n);
  const warm = Math.floor(n * 0.12);
  const cool = Math.floor(n * 0.9);
  const reps = rng.int(3, 6);
  const workS = Math.max(60, Math.floor(((cool - warm) * 0.55) / reps));
  const restS = Math.max(30, Math.floor(((cool - warm) * 0.45) / reps));
  let noise = 0;
  const outdoor = plan.summary.sport_type !== 'VirtualRide';
  let coast = 0;
  for (let i = 0; i < n; i++) {
    let base = 1;
    if (plan.kind === 'intervals' || plan.kind === 'race') {
      if (i < warm) base = 0.7;
      else if (i >= cool) base = 0.6;
      else base = (i - warm) % (workS + restS) < workS ? 1.35 : 0.55;
    }
    noise = noise * 0.85 + rng.normal() * 0.04;
    let v = base * (1 + 3 * grade[i]!) * (1 + noise);
    if (outdoor && coast > 0) {
      coast--;
      v = 0;
    } else if (outdoor && plan.kind !== 'run' && (grade[i]! < -0.04 ? rng.chance(0.01) : rng.chance(0.0004))) {
      coast = rng.int(3, 15);
    }
    e[i] = Math.max(0, Math.min(3, v));
  }
  return e;
}

/**
 * Power with mean `avg` and NP `np` from an effort shape: p = c·e^k, with k found by bisection
 * (a larger k spreads the power more) and c fixing the mean. Integer watts, sum exact.
 */
function calibratePower(effort: Float64Array, avg: number, np: number): Int32Array {
  const n = effort.length;
  const shaped = new Float64Array(n);
  const apply = (k: number): number => {
    for (let i = 0; i < n; i++) shaped[i] = effort[i]! > 0 ? Math.pow(effort[i]!, k) : 0;
    const m = mean(shaped);
    return m > 0 ? normalizedPower(shaped) / m : 1;
  };
  const targetVi = avg > 0 ? np / avg : 1;
  let lo = 0.05;
  let hi = 8;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (apply(mid) < targetVi) lo = mid;
    else hi = mid;
  }
  apply((lo + hi) / 2);
  const scale = avg / mean(shaped);
  const watts = new Int32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    watts[i] = Math.round(shaped[i]! * scale);
    sum += watts[i]!;
  }
  fixIntegerSum(watts, Math.round(avg * n) - sum, (i) => watts[i]! > 0);
  return watts;
}

/** Spreads an integer correction over samples (evenly spaced) so a series' sum is exact. */
function fixIntegerSum(series: Int32Array, diff: number, eligible: (i: number) => boolean): void {
  const n = series.length;
  if (diff === 0 || n === 0) return;
  const step = Math.sign(diff);
  let remaining = Math.abs(diff);
  const stride = Math.max(1, Math.floor(n / (remaining + 1)));
  for (let pass = 0; remaining > 0 && pass < 1000; pass++) {
    for (let i = (pass * 7) % stride; i < n && remaining > 0; i += stride) {
      if (!eligible(i) || series[i]! + step < 0) continue;
      series[i] = series[i]! + step;
      remaining--;
    }
  }
}

/** Streams (Strava's key_by_type shape) of a planned activity, only the keys asked for. */
export function generateStreams(plan: ActivityPlan, keys: readonly StreamKey[] = ALL_STREAM_KEYS): StravaStreamSet {
  const { summary, athlete } = plan;
  const rng = createRng(athlete.seed, 'streams', summary.id);
  const n = summary.moving_time;
  const isRun = plan.kind === 'run';
  const hilliness = summary.distance > 0 ? (summary.total_elevation_gain / summary.distance) * 1000 : 0;
  const grade = gradeProfile(rng, n, hilliness);
  const effort = effortProfile(rng, n, plan, grade);
  const watts = isRun ? undefined : calibratePower(effort, plan.avgWatts, plan.np);

  // Speed: physics for rides, effort and gradient for runs; then scaled to the summary distance.
  const mass = (athlete.profile.weight ?? 70) + BIKE_MASS_KG;
  const crr = summary.sport_type === 'GravelRide' ? 0.008 : 0.0045;
  const speed = new Float64Array(n);
  let v = summary.average_speed;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const eq = watts
      ? speedForPower(watts[i]!, grade[i]!, mass, athlete.cda, crr)
      : (summary.average_speed * Math.max(0.3, effort[i]!)) / (1 + 8 * Math.max(-0.05, grade[i]!));
    v += (eq - v) * (isRun ? 0.3 : 0.12);
    speed[i] = v;
    total += v;
  }
  const speedScale = total > 0 ? summary.distance / total : 0;

  // Altitude from speed × grade, scaled so the climbing equals total_elevation_gain.
  let gain = 0;
  for (let i = 0; i < n; i++) gain += Math.max(0, speed[i]! * speedScale * grade[i]!);
  const climbScale = gain > 0 ? summary.total_elevation_gain / gain : 0;

  // Heart rate: lags smoothed effort, then shifted so its mean is average_heartrate.
  const hr = new Int32Array(n);
  const hrRange = athlete.maxHeartrate - athlete.restingHeartrate;
  let hrNow = athlete.restingHeartrate + hrRange * 0.35;
  const rel = watts ? (i: number) => watts[i]! / athlete.ftp : (i: number) => effort[i]! * 0.8;
  const hrRaw = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const drift = (i / 3600) * 0.03;
    const target = athlete.restingHeartrate + hrRange * (0.25 + 0.6 * Math.min(1.3, rel(i)) + drift);
    hrNow += (target - hrNow) / HR_LAG_S;
    hrRaw[i] = hrNow;
  }
  const hrShift = (summary.average_heartrate ?? mean(hrRaw)) - mean(hrRaw);
  let hrSum = 0;
  for (let i = 0; i < n; i++) {
    hr[i] = Math.max(40, Math.min(athlete.maxHeartrate, Math.round(hrRaw[i]! + hrShift)));
    hrSum += hr[i]!;
  }
  if (summary.average_heartrate !== undefined) {
    fixIntegerSum(hr, Math.round(summary.average_heartrate * n) - hrSum, (i) => hr[i]! < athlete.maxHeartrate && hr[i]! > 40);
  }

  // Cadence: zero when coasting; the mean of pedalling seconds is average_cadence.
  const cadence = new Int32Array(n);
  let cadNoise = 0;
  let cadSum = 0;
  let pedalling = 0;
  const targetCad = summary.average_cadence ?? 85;
  for (let i = 0; i < n; i++) {
    cadNoise = cadNoise * 0.9 + rng.normal() * 0.8;
    const moving = watts ? watts[i]! > 0 : true;
    cadence[i] = moving ? Math.max(40, Math.round(targetCad + cadNoise + (watts ? (rel(i) - 0.75) * 8 : 0))) : 0;
    if (moving) {
      cadSum += cadence[i]!;
      pedalling++;
    }
  }
  fixIntegerSum(cadence, Math.round(targetCad * pedalling) - cadSum, (i) => cadence[i]! > 40);

  const want = new Set(keys);
  const data: Partial<Record<StreamKey, unknown[]>> = {};
  const time: number[] = [];
  const distance: number[] = [];
  const altitude: number[] = [];
  const velocity: number[] = [];
  const gradeOut: number[] = [];
  const latlng: Array<[number, number]> = [];
  let dist = 0;
  let alt = athlete.home.altitude;
  let lat = athlete.home.lat;
  let lng = athlete.home.lng;
  let heading = rng.range(0, 2 * Math.PI);
  for (let i = 0; i < n; i++) {
    const s = speed[i]! * speedScale;
    dist += s;
    alt += s * grade[i]! * (grade[i]! > 0 ? climbScale : climbScale || 1);
    heading += rng.normal() * 0.02 + (2 * Math.PI) / Math.max(600, n);
    lat += (s * Math.cos(heading)) / METRES_PER_DEGREE;
    lng += (s * Math.sin(heading)) / (METRES_PER_DEGREE * Math.cos((lat * Math.PI) / 180));
    time.push(i);
    distance.push(i === n - 1 ? summary.distance : round(dist, 1));
    altitude.push(round(alt, 1));
    velocity.push(round(s, 3));
    gradeOut.push(round(grade[i]! * (climbScale || 1) * 100, 1));
    latlng.push([round(lat, 6), round(lng, 6)]);
  }
  data.time = time;
  data.distance = distance;
  data.latlng = latlng;
  data.altitude = altitude;
  data.velocity_smooth = velocity;
  if (summary.has_heartrate) data.heartrate = Array.from(hr);
  data.cadence = Array.from(cadence);
  if (watts) data.watts = Array.from(watts);
  data.moving = new Array<boolean>(n).fill(true);
  data.grade_smooth = gradeOut;

  const out: StravaStreamSet = {};
  for (const key of ALL_STREAM_KEYS) {
    const series = data[key];
    if (!want.has(key) || !series) continue;
    const stream: StravaStream = {
      type: key,
      data: series,
      series_type: key === 'distance' ? 'distance' : 'time',
      original_size: n,
      resolution: 'high',
    };
    out[key] = stream;
  }
  return out;
}
