/**
 * Training metrics, Coggan/TrainingPeaks definitions:
 * - NP: 30 s rolling mean of 1 Hz power, raised to the 4th power, averaged, 4th root.
 * - IF = NP / FTP; TSS = seconds × NP × IF / (FTP × 3600) × 100.
 * - CTL / ATL: exponentially weighted daily TSS, time constants 42 and 7 days
 *   (`load += (tss - load) / tc`); TSB (form) for a day = yesterday's CTL − yesterday's ATL.
 */
export const NP_WINDOW_S = 30;
export const CTL_DAYS = 42;
export const ATL_DAYS = 7;

/** Coggan's power zones as fractions of FTP: Z1 < 55 % ≤ Z2 < 75 % ≤ ... ≤ Z7. */
export const POWER_ZONE_BOUNDS = [0.55, 0.75, 0.9, 1.05, 1.2, 1.5] as const;
/** Heart-rate zones as fractions of max HR: Z1 < 60 % ≤ Z2 < 70 % ≤ ... ≤ Z5. */
export const HR_ZONE_BOUNDS = [0.6, 0.7, 0.8, 0.9] as const;

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/**
 * Normalized power of a 1 Hz power series. Shorter than the 30 s window: the plain mean
 * (there is no rolling average to take).
 */
export function normalizedPower(watts: ArrayLike<number>): number {
  const n = watts.length;
  if (n === 0) return 0;
  if (n < NP_WINDOW_S) return mean(watts);
  let windowSum = 0;
  for (let i = 0; i < NP_WINDOW_S; i++) windowSum += watts[i]!;
  let fourth = 0;
  let count = 0;
  for (let i = NP_WINDOW_S - 1; i < n; i++) {
    if (i >= NP_WINDOW_S) windowSum += watts[i]! - watts[i - NP_WINDOW_S]!;
    const avg = windowSum / NP_WINDOW_S;
    fourth += avg * avg * avg * avg;
    count++;
  }
  return Math.pow(fourth / count, 0.25);
}

export function intensityFactor(np: number, ftp: number): number {
  return ftp > 0 ? np / ftp : 0;
}

export function trainingStressScore(seconds: number, np: number, ftp: number): number {
  if (ftp <= 0) return 0;
  const ifactor = np / ftp;
  return ((seconds * np * ifactor) / (ftp * 3600)) * 100;
}

export interface DailyLoad {
  /** YYYY-MM-DD (or any day label). */
  date: string;
  tss: number;
  ctl: number;
  atl: number;
  tsb: number;
}

/**
 * CTL/ATL/TSB for consecutive days of TSS (include rest days as 0). `start` carries fitness and
 * fatigue from before the first day.
 */
export function trainingLoad(
  days: ReadonlyArray<{ date: string; tss: number }>,
  start: { ctl: number; atl: number } = { ctl: 0, atl: 0 },
): DailyLoad[] {
  let ctl = start.ctl;
  let atl = start.atl;
  return days.map(({ date, tss }) => {
    const tsb = ctl - atl;
    ctl += (tss - ctl) / CTL_DAYS;
    atl += (tss - atl) / ATL_DAYS;
    return { date, tss, ctl, atl, tsb };
  });
}

/**
 * Seconds spent in each zone (one sample = one second). `bounds` are ascending thresholds in the
 * samples' unit; a sample equal to a bound belongs to the higher zone. Returns bounds.length + 1 zones.
 */
export function timeInZones(samples: ArrayLike<number>, bounds: readonly number[]): number[] {
  const zones = new Array<number>(bounds.length + 1).fill(0);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    let z = 0;
    while (z < bounds.length && v >= bounds[z]!) z++;
    zones[z]!++;
  }
  return zones;
}

export const powerZoneBounds = (ftp: number): number[] => POWER_ZONE_BOUNDS.map((f) => f * ftp);
export const hrZoneBounds = (maxHr: number): number[] => HR_ZONE_BOUNDS.map((f) => f * maxHr);
