import { BRIEF_PROMPT_VERSION } from '../cache/keys.js';
import type { BriefInput } from './port.js';
import { describeRide, whenOf } from './offline.js';
import { describeSession, planSession } from './session.js';

/** Bump with any change to the wording below: it is part of the brief cache key. */
export const OPENAI_PROMPT_VERSION = BRIEF_PROMPT_VERSION;

export const SYSTEM_PROMPT = [
  'You are a cycling coach writing the daily brief in the VeloReady app.',
  'Write at most 5 short sentences, plain text, no lists, no emojis, no greetings beyond the first name.',
  "Use the athlete's real numbers: fitness (CTL), fatigue (ATL), form (TSB) and the last rides.",
  'End with one concrete session for today; keep the suggested session and its power targets.',
].join(' ');

/** The user message: the numbers, and the session the rules pick, so the model explains rather than invents. */
export function buildBriefPrompt(input: BriefInput): string {
  const plan = planSession(input);
  const lines = [
    `Date: ${input.date}`,
    `Athlete: ${input.firstName?.trim() || 'unknown name'}`,
    `FTP: ${input.ftp ? `${input.ftp} W` : 'unknown'}`,
    `CTL ${Math.round(input.ctl)}, ATL ${Math.round(input.atl)}, TSB ${Math.round(input.tsb)}`,
  ];
  if (input.week_tss !== undefined) lines.push(`TSS last 7 days: ${Math.round(input.week_tss)}`);
  if (input.days_since_last != null) lines.push(`Days since last ride: ${input.days_since_last}`);
  if (input.days_since_rest != null) lines.push(`Days in a row training: ${input.days_since_rest}`);
  if (input.resting_hr_trend != null) lines.push(`Resting HR vs usual: ${input.resting_hr_trend > 0 ? '+' : ''}${Math.round(input.resting_hr_trend)} bpm`);
  lines.push(
    input.last_rides.length
      ? `Last rides: ${input.last_rides.slice(0, 3).map((r) => `${whenOf(r.date, input.date)} ${describeRide(r)}`).join('; ')}`
      : 'Last rides: none recently',
  );
  lines.push(`Suggested session: ${describeSession(plan.level, input.ftp)}${plan.adjustments.length ? ` (eased: ${plan.adjustments.join(', ')})` : ''}`);
  return lines.join('\n');
}
