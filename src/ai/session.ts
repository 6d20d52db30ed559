import type { BriefInput } from './port.js';

/** Workout levels, easiest first. */
export type SessionLevel = 'rest' | 'recovery' | 'endurance' | 'sweetspot' | 'threshold' | 'vo2max';
const LEVELS: readonly SessionLevel[] = ['rest', 'recovery', 'endurance', 'sweetspot', 'threshold', 'vo2max'];

/** TSB bands (Coggan's form): below these, the athlete is this tired. */
export const TSB_OVERREACHED = -30;
export const TSB_RECOVERY = -20;
export const TSB_PRODUCTIVE = -10;
export const TSB_FRESH = 5;
export const TSB_VERY_FRESH = 15;
/** Resting HR this many bpm above usual: take one (or two) steps easier. */
export const HR_ELEVATED_BPM = 3;
export const HR_HIGH_BPM = 5;
/** Days in a row with training after which a day off is due. */
export const REST_DUE_DAYS = 7;
/** Days off after which the first session back stays below threshold. */
export const LAYOFF_DAYS = 4;

export type Adjustment = 'hr-elevated' | 'hr-high' | 'rest-due' | 'layoff' | 'overreached';

export interface SessionPlan {
  level: SessionLevel;
  /** Why the plan is easier than the form alone says. */
  adjustments: Adjustment[];
}

/** Picks today's session from form (TSB), then eases it for recovery signals. */
export function planSession(input: BriefInput): SessionPlan {
  const tsb = input.tsb;
  const adjustments: Adjustment[] = [];
  let level: number =
    tsb < TSB_RECOVERY ? 1 : tsb < TSB_PRODUCTIVE ? 2 : tsb <= TSB_FRESH ? 3 : tsb <= TSB_VERY_FRESH ? 4 : 5;
  if (tsb < TSB_OVERREACHED && (input.days_since_rest ?? 0) >= 3) {
    level = 0;
    adjustments.push('overreached');
  }
  const hr = input.resting_hr_trend ?? 0;
  if (hr >= HR_HIGH_BPM) {
    level -= 2;
    adjustments.push('hr-high');
  } else if (hr >= HR_ELEVATED_BPM) {
    level -= 1;
    adjustments.push('hr-elevated');
  }
  if ((input.days_since_rest ?? 0) >= REST_DUE_DAYS && level > 1) {
    level = 1;
    adjustments.push('rest-due');
  }
  if ((input.days_since_last ?? 0) >= LAYOFF_DAYS && level > 3) {
    level = 3;
    adjustments.push('layoff');
  }
  return { level: LEVELS[Math.max(0, Math.min(LEVELS.length - 1, level))]!, adjustments };
}

/** Power targets as fractions of FTP, per level (Coggan zones). */
const TARGETS: Record<SessionLevel, [low: number, high: number] | null> = {
  rest: null,
  recovery: [0, 0.55],
  endurance: [0.6, 0.72],
  sweetspot: [0.88, 0.93],
  threshold: [0.95, 1.0],
  vo2max: [1.08, 1.18],
};

const WATT_STEP = 5;
const roundWatts = (w: number): number => Math.round(w / WATT_STEP) * WATT_STEP;

/** One line describing the session, with watts from FTP when known, else by feel. */
export function describeSession(level: SessionLevel, ftp: number | null): string {
  const t = TARGETS[level];
  const w = (f: number): number => roundWatts((ftp ?? 0) * f);
  const hasFtp = ftp !== null && ftp > 0;
  switch (level) {
    case 'rest':
      return 'a full day off the bike: walk, stretch, sleep early';
    case 'recovery':
      return hasFtp ? `30–45 min easy spin under ${w(t![1])} W, high cadence, nothing that stings` : '30–45 min easy spin, conversational, high cadence';
    case 'endurance':
      return hasFtp ? `90 min steady endurance at ${w(t![0])}–${w(t![1])} W` : '90 min steady endurance, able to talk in full sentences';
    case 'sweetspot':
      return hasFtp ? `3 × 12 min sweet spot at ${w(t![0])}–${w(t![1])} W, 5 min easy between` : '3 × 12 min sweet spot (comfortably hard), 5 min easy between';
    case 'threshold':
      return hasFtp ? `2 × 20 min at threshold, ${w(t![0])}–${w(t![1])} W, 10 min easy between` : '2 × 20 min at threshold (hard but steady), 10 min easy between';
    case 'vo2max':
      return hasFtp ? `5 × 4 min VO2max at ${w(t![0])}–${w(t![1])} W, 4 min easy between` : '5 × 4 min VO2max efforts (very hard), 4 min easy between';
  }
}
