import { BRIEF_PROMPT_VERSION } from '../cache/keys.js';
import { createRng, type Rng } from '../strava/prng.js';
import type { Ai, BriefInput, BriefOutput, BriefRide } from './port.js';
import { describeSession, planSession, TSB_FRESH, TSB_PRODUCTIVE, TSB_RECOVERY, TSB_VERY_FRESH, type Adjustment } from './session.js';

export const OFFLINE_MODEL = 'veloready-offline';
const DAY_MS = 86_400_000;
/** Rides within this many days are named by weekday. */
const WEEKDAY_WINDOW_DAYS = 6;
/** A ride with at least this TSS counts as a big day worth naming as such. */
const BIG_RIDE_TSS = 120;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

type Band = 'overreached' | 'loaded' | 'productive' | 'balanced' | 'fresh' | 'very-fresh';

const GREETINGS = ['Morning {name}.', 'Good morning, {name}.', 'Hi {name}.', '{name}, here is today.'];
const GREETINGS_ANON = ['Good morning.', 'Here is today.', 'Morning.'];

const FORM: Record<Band, string[]> = {
  overreached: [
    'Form is {tsb} against fitness {ctl} and fatigue {atl}: you are deep in the red.',
    'Fatigue ({atl}) is running far ahead of fitness ({ctl}), leaving form at {tsb}.',
  ],
  loaded: [
    'Form is {tsb} (fitness {ctl}, fatigue {atl}): the recent load is heavy.',
    'With fatigue at {atl} over fitness {ctl}, form sits at {tsb}.',
  ],
  productive: [
    'Form is {tsb} (fitness {ctl}, fatigue {atl}): tired in the productive way.',
    'Fitness {ctl}, fatigue {atl}, form {tsb}: a solid training block, still absorbing it.',
  ],
  balanced: [
    'Fitness {ctl} and fatigue {atl} are close to even (form {tsb}).',
    'Form is {tsb} with fitness at {ctl} and fatigue at {atl}: balanced.',
  ],
  fresh: [
    'Form is {tsb} (fitness {ctl}, fatigue {atl}): you are fresh enough to go hard.',
    'Fatigue ({atl}) has dropped below fitness ({ctl}), so form is {tsb}.',
  ],
  'very-fresh': [
    'Form is {tsb} with fitness {ctl} and fatigue {atl}: very fresh, time to use it.',
    'At form {tsb} (fitness {ctl}, fatigue {atl}) you are well rested; fitness fades if that lasts.',
  ],
};

const LAST_RIDE_BIG = ['{when} {ride} is still in your legs.', '{when} {ride} was a big one.'];
const LAST_RIDE = ['Last up: {when} {ride}.', '{when} {ride} went in the book.'];
const NO_RIDES = ['No rides logged recently, so today sets the baseline.', 'Nothing on the log lately: start gently.'];

const ADJUSTMENT_NOTES: Record<Adjustment, string> = {
  'hr-elevated': 'Resting heart rate is up {hr} bpm on your usual, so today is one step easier than form alone suggests.',
  'hr-high': 'Resting heart rate is up {hr} bpm on your usual: a sign to back right off.',
  'rest-due': '{rest} days in a row without a day off: keep it easy.',
  layoff: 'After {off} days off, ease back in before anything above threshold.',
  overreached: '{rest} straight days of training with form this low calls for real rest.',
};

const SESSION_LEADS = ['Today: {session}.', 'Suggested session: {session}.', 'Plan for today: {session}.'];

/** Writes the brief offline from the athlete's numbers. Same input, same text: phrasing is seeded by (user, date). */
export function generateOfflineBrief(input: BriefInput): string {
  const rng = createRng('brief', input.userId ?? String(input.athleteId), input.date);
  const band = bandOf(input.tsb);
  const plan = planSession(input);
  const name = input.firstName?.trim();
  const sentences: string[] = [
    name ? fill(pick(rng, GREETINGS), { name }) : pick(rng, GREETINGS_ANON),
    fill(pick(rng, FORM[band]), { tsb: signed(input.tsb), ctl: fmt(input.ctl), atl: fmt(input.atl) }),
  ];
  const ride = input.last_rides[0];
  if (ride) {
    const big = ride.tss >= BIG_RIDE_TSS;
    const template = pick(rng, big ? LAST_RIDE_BIG : LAST_RIDE);
    sentences.push(capitalise(fill(template, { when: whenOf(ride.date, input.date), ride: describeRide(ride) })));
  } else {
    sentences.push(pick(rng, NO_RIDES));
  }
  for (const adj of plan.adjustments) {
    sentences.push(
      fill(ADJUSTMENT_NOTES[adj], {
        hr: fmt(input.resting_hr_trend ?? 0),
        rest: String(input.days_since_rest ?? 0),
        off: String(input.days_since_last ?? 0),
      }),
    );
  }
  sentences.push(fill(pick(rng, SESSION_LEADS), { session: describeSession(plan.level, input.ftp) }));
  return sentences.join(' ');
}

/** The offline Ai: no network, no key, deterministic. */
export function createOfflineAi(): Ai {
  return {
    promptVersion: BRIEF_PROMPT_VERSION,
    model: OFFLINE_MODEL,
    async brief(input: BriefInput): Promise<BriefOutput> {
      return { text: generateOfflineBrief(input), model: OFFLINE_MODEL, promptVersion: BRIEF_PROMPT_VERSION };
    },
  };
}

function bandOf(tsb: number): Band {
  if (tsb < -30) return 'overreached';
  if (tsb < TSB_RECOVERY) return 'loaded';
  if (tsb < TSB_PRODUCTIVE) return 'productive';
  if (tsb <= TSB_FRESH) return 'balanced';
  if (tsb <= TSB_VERY_FRESH) return 'fresh';
  return 'very-fresh';
}

/** `"Hilly loop" (2h 05m, NP 231 W, TSS 142)` */
export function describeRide(ride: BriefRide): string {
  const parts = [formatMinutes(ride.moving_time_min)];
  const np = ride.weighted_average_watts ?? ride.average_watts;
  if (np) parts.push(`${ride.weighted_average_watts ? 'NP' : 'avg'} ${Math.round(np)} W`);
  else if (ride.average_heartrate) parts.push(`avg HR ${Math.round(ride.average_heartrate)}`);
  parts.push(`TSS ${Math.round(ride.tss)}`);
  return `"${ride.name}" (${parts.join(', ')})`;
}

/** today's / yesterday's / Tuesday's / 3 Mar's */
export function whenOf(rideDate: string, today: string): string {
  const days = Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${rideDate}T00:00:00Z`)) / DAY_MS);
  if (days <= 0) return "today's";
  if (days === 1) return "yesterday's";
  const d = new Date(`${rideDate}T00:00:00Z`);
  if (days <= WEEKDAY_WINDOW_DAYS) return `${WEEKDAYS[d.getUTCDay()]}'s`;
  return `${d.getUTCDate()} ${d.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' })}'s`;
}

export function formatMinutes(min: number): string {
  const m = Math.max(0, Math.round(min));
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

const pick = <T>(rng: Rng, items: readonly T[]): T => rng.pick(items);
const fmt = (n: number): string => String(Math.round(n));
const signed = (n: number): string => (Math.round(n) > 0 ? `+${Math.round(n)}` : String(Math.round(n)));
const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const fill = (template: string, values: Record<string, string>): string =>
  template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
