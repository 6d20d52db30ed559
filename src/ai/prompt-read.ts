import type { BriefInput, BriefRide } from './port.js';

/**
 * The training numbers back out of a brief prompt, for the offline OpenAI-compatible endpoint:
 * it answers a chat completion from the same generator as the offline Ai. Reads the lines
 * buildBriefPrompt writes (`CTL 80, ATL 70, TSB 10`, `FTP: 300 W`, `Last rides: …`) and looser
 * spellings of the same numbers in a project's own prompt; what is missing stays neutral.
 */
const DAY_MS = 86_400_000;
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** `yesterday's "Hilly loop" (2h 05m, NP 231 W, TSS 142)` as describeRide and whenOf write it. */
const RIDE_RE = /(today|yesterday|[A-Z][a-z]+day|\d{1,2} [A-Z][a-z]{2})'s "([^"]*)" \(([^)]*)\)/g;

export function readBriefPrompt(text: string, fallbackDate: string): BriefInput {
  const date = /\bDate:\s*(\d{4}-\d{2}-\d{2})/i.exec(text)?.[1] ?? fallbackDate;
  const athlete = /\bAthlete:\s*([^\n]+)/i.exec(text)?.[1]?.trim();
  const ctl = numberAfter(text, /\b(?:CTL|fitness)\b[^\d+-]{0,12}([+-]?\d+(?:\.\d+)?)/i) ?? 0;
  const atl = numberAfter(text, /\b(?:ATL|fatigue)\b[^\d+-]{0,12}([+-]?\d+(?:\.\d+)?)/i) ?? 0;
  const tsb = numberAfter(text, /\b(?:TSB|form)\b[^\d+-]{0,12}([+-]?\d+(?:\.\d+)?)/i) ?? ctl - atl;
  const ftp = numberAfter(text, /\bFTP\b[^\d]{0,12}(\d+)/i);
  const input: BriefInput = {
    athleteId: 0,
    date,
    firstName: athlete && athlete !== 'unknown name' ? athlete : null,
    ftp: ftp ?? null,
    ctl,
    atl,
    tsb,
    last_rides: readRides(text, date),
  };
  const week = numberAfter(text, /TSS last 7 days:\s*(\d+(?:\.\d+)?)/i);
  if (week !== undefined) input.week_tss = week;
  const sinceLast = numberAfter(text, /Days since last ride:\s*(\d+)/i);
  if (sinceLast !== undefined) input.days_since_last = sinceLast;
  const inARow = numberAfter(text, /Days in a row training:\s*(\d+)/i);
  if (inARow !== undefined) input.days_since_rest = inARow;
  const hr = numberAfter(text, /Resting HR vs usual:\s*([+-]?\d+)/i);
  if (hr !== undefined) input.resting_hr_trend = hr;
  return input;
}

function readRides(text: string, today: string): BriefRide[] {
  const rides: BriefRide[] = [];
  for (const m of text.matchAll(RIDE_RE)) {
    const parts = m[3]!;
    const power = /\b(NP|avg) (\d+) W\b/.exec(parts);
    rides.push({
      name: m[2]!,
      date: dateOf(m[1]!, today),
      tss: Number(/\bTSS (\d+)/.exec(parts)?.[1] ?? 0),
      moving_time_min: minutesOf(parts),
      weighted_average_watts: power?.[1] === 'NP' ? Number(power[2]) : null,
      average_watts: power?.[1] === 'avg' ? Number(power[2]) : null,
      average_heartrate: Number(/avg HR (\d+)/.exec(parts)?.[1]) || null,
    });
  }
  return rides;
}

/** whenOf backwards: today / yesterday / the last such weekday / `3 Mar` on or before today. */
function dateOf(when: string, today: string): string {
  const t = Date.parse(`${today}T00:00:00Z`);
  const back = (days: number): string => new Date(t - days * DAY_MS).toISOString().slice(0, 10);
  const w = when.toLowerCase();
  if (w === 'today') return today;
  if (w === 'yesterday') return back(1);
  const weekday = WEEKDAYS.indexOf(w);
  if (weekday >= 0) return back(((new Date(t).getUTCDay() - weekday + 7) % 7) || 7);
  const [day, month] = w.split(' ');
  const m = MONTHS.indexOf(month ?? '');
  if (m < 0) return today;
  const year = new Date(t).getUTCFullYear();
  const candidate = Date.UTC(year, m, Number(day));
  return new Date(candidate <= t ? candidate : Date.UTC(year - 1, m, Number(day))).toISOString().slice(0, 10);
}

function minutesOf(parts: string): number {
  const hm = /(\d+)h (\d+)m/.exec(parts);
  if (hm) return Number(hm[1]) * 60 + Number(hm[2]);
  return Number(/(\d+) min/.exec(parts)?.[1] ?? 0);
}

function numberAfter(text: string, re: RegExp): number | undefined {
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
}
