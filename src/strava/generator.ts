/**
 * Deterministic fake athletes and activity summaries. Every value comes from the seeded PRNG,
 * keyed by (seed, athlete, day), so one day's activity never depends on the window generated.
 * Streams are generated on demand (./streams.ts) and calibrated to these summaries.
 */
import type { StravaActivitySummary, StravaAthlete } from './port.js';
import { createRng, type Rng } from './prng.js';
import { FIRST_NAMES_F, FIRST_NAMES_M, LAST_NAMES, PLACES, type Place } from './places.js';

export const DEFAULT_SEED = '42';
/** Generated athletes get ids FIRST_ATHLETE_ID + index; other ids (e.g. serve's demo 104662) work too. */
export const FIRST_ATHLETE_ID = 1_000_001;
/** Activity id = athleteId × ACTIVITY_ID_SPAN + epochDay × SLOTS_PER_DAY + slot: never collides across athletes. */
export const ACTIVITY_ID_SPAN = 100_000;
export const SLOTS_PER_DAY = 2;
export const MAX_ATHLETE_ID = Math.floor(Number.MAX_SAFE_INTEGER / ACTIVITY_ID_SPAN) - 1;
const DAY_MS = 86_400_000;
const BIKE_MASS_KG = 9;
const AIR_DENSITY = 1.2;
const GRAVITY = 9.81;

export type FitnessLevel = 'beginner' | 'recreational' | 'trained' | 'elite';
export type WorkoutKind = 'recovery' | 'endurance' | 'long' | 'intervals' | 'race' | 'run';

export interface FakeAthlete {
  profile: StravaAthlete;
  ftp: number;
  maxHeartrate: number;
  restingHeartrate: number;
  fitnessLevel: FitnessLevel;
  /** The seed the athlete's activities derive from. */
  seed: string;
  home: Place;
  /** 0..1 share of sessions that are runs. */
  runShare: number;
  /** Weekly volume multiplier (1 = a typical trained amateur). */
  volume: number;
  /** Offsets the 4-week block so athletes are not all in a recovery week at once. */
  blockOffset: number;
  cda: number;
}

/** Internal plan behind a summary; streams are generated from it. */
export interface ActivityPlan {
  athlete: FakeAthlete;
  epochDay: number;
  slot: number;
  /** start_date as epoch ms. */
  startMs: number;
  kind: WorkoutKind;
  /** Target NP / average power (rides) or 0. */
  np: number;
  avgWatts: number;
  summary: StravaActivitySummary;
}

const LEVELS: ReadonlyArray<{ level: FitnessLevel; wkg: [number, number]; volume: [number, number] }> = [
  { level: 'beginner', wkg: [1.8, 2.5], volume: [0.45, 0.7] },
  { level: 'recreational', wkg: [2.5, 3.2], volume: [0.7, 1.0] },
  { level: 'trained', wkg: [3.2, 4.0], volume: [0.95, 1.3] },
  { level: 'elite', wkg: [4.0, 5.2], volume: [1.3, 1.8] },
];

const round = (v: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
};

export const athleteIdFor = (index: number): number => FIRST_ATHLETE_ID + index;

/** The athlete with this Strava id, as generated for this seed. */
export function generateAthleteWithId(id: number, seed: string | number = DEFAULT_SEED): FakeAthlete {
  if (!Number.isSafeInteger(id) || id <= 0 || id > MAX_ATHLETE_ID) {
    throw new RangeError(`athlete id must be an integer in 1..${MAX_ATHLETE_ID}`);
  }
  const seedText = String(seed);
  const rng = createRng(seedText, 'athlete', id);
  const sex = rng.chance(0.7) ? 'M' : 'F';
  const firstname = rng.pick(sex === 'M' ? FIRST_NAMES_M : FIRST_NAMES_F);
  const lastname = rng.pick(LAST_NAMES);
  const home = rng.pick(PLACES);
  const levelRoll = rng.next();
  const levelIdx = levelRoll < 0.15 ? 0 : levelRoll < 0.55 ? 1 : levelRoll < 0.9 ? 2 : 3;
  const level = LEVELS[levelIdx]!;
  const weight = round(sex === 'M' ? rng.range(62, 88) : rng.range(50, 72), 1);
  const ftp = Math.round(weight * rng.range(level.wkg[0], level.wkg[1]));
  const age = rng.int(22, 60);
  const maxHeartrate = Math.round(208 - 0.7 * age + rng.range(-6, 6));
  const restingHeartrate = Math.round(rng.range(62, 72) - levelIdx * rng.range(3, 6));
  const createdAt = new Date(Date.UTC(2012 + rng.int(0, 10), rng.int(0, 11), rng.int(1, 28), rng.int(0, 23), rng.int(0, 59))).toISOString();
  const profile: StravaAthlete = {
    id,
    username: `${firstname}${lastname}${id % 1000}`.toLowerCase(),
    resource_state: 2,
    firstname,
    lastname,
    bio: null,
    city: home.city,
    state: null,
    country: home.country,
    sex,
    premium: rng.chance(0.4),
    summit: false,
    created_at: createdAt.replace(/\.\d{3}Z$/, 'Z'),
    updated_at: createdAt.replace(/\.\d{3}Z$/, 'Z'),
    badge_type_id: 0,
    weight,
    profile_medium: `https://dgalywyr863hv.cloudfront.net/pictures/athletes/${id}/medium.jpg`,
    profile: `https://dgalywyr863hv.cloudfront.net/pictures/athletes/${id}/large.jpg`,
    ftp,
  };
  return {
    profile,
    ftp,
    maxHeartrate,
    restingHeartrate,
    fitnessLevel: level.level,
    seed: seedText,
    home,
    runShare: rng.chance(0.3) ? rng.range(0.12, 0.3) : rng.range(0, 0.08),
    volume: rng.range(level.volume[0], level.volume[1]),
    blockOffset: rng.int(0, 3),
    cda: rng.range(0.28, 0.36),
  };
}

/** The index-th athlete of a seed (ids FIRST_ATHLETE_ID + index). */
export function generateAthlete(seed: string | number, index: number): FakeAthlete {
  return generateAthleteWithId(athleteIdFor(index), seed);
}

export function generateAthletes(seed: string | number, count: number): FakeAthlete[] {
  return Array.from({ length: count }, (_, i) => generateAthlete(seed, i));
}

export const activityIdFor = (athleteId: number, epochDay: number, slot = 0): number =>
  athleteId * ACTIVITY_ID_SPAN + epochDay * SLOTS_PER_DAY + slot;

export function parseActivityId(id: number): { athleteId: number; epochDay: number; slot: number } | undefined {
  if (!Number.isSafeInteger(id) || id <= 0) return undefined;
  const athleteId = Math.floor(id / ACTIVITY_ID_SPAN);
  const rest = id % ACTIVITY_ID_SPAN;
  if (athleteId <= 0) return undefined;
  return { athleteId, epochDay: Math.floor(rest / SLOTS_PER_DAY), slot: rest % SLOTS_PER_DAY };
}

/** Day-of-week rest probability, Sunday first (Monday is the classic rest day). */
const REST_CHANCE = [0.12, 0.65, 0.18, 0.3, 0.22, 0.55, 0.08] as const;
const RECOVERY_WEEK_PHASE = 3;
const BLOCK_WEEKS = 4;

function chooseKind(rng: Rng, athlete: FakeAthlete, dow: number, recoveryWeek: boolean): WorkoutKind | undefined {
  const beginnerRest = athlete.fitnessLevel === 'beginner' ? 0.2 : athlete.fitnessLevel === 'elite' ? -0.1 : 0;
  const rest = REST_CHANCE[dow]! + beginnerRest + (recoveryWeek ? 0.15 : 0);
  if (rng.chance(rest)) return undefined;
  if (rng.chance(athlete.runShare)) return 'run';
  if (recoveryWeek) return rng.chance(0.5) ? 'recovery' : 'endurance';
  if (dow === 6 && rng.chance(0.06)) return 'race';
  if (dow === 6 || (dow === 0 && rng.chance(0.5))) return 'long';
  if ((dow === 2 || dow === 4) && rng.chance(0.65)) return 'intervals';
  return rng.chance(0.25) ? 'recovery' : 'endurance';
}

const DURATION_MIN: Record<WorkoutKind, [number, number]> = {
  recovery: [40, 65],
  endurance: [70, 150],
  long: [150, 300],
  intervals: [60, 105],
  race: [60, 180],
  run: [30, 75],
};
const IF_RANGE: Record<WorkoutKind, [number, number]> = {
  recovery: [0.52, 0.6],
  endurance: [0.64, 0.74],
  long: [0.66, 0.76],
  intervals: [0.8, 0.92],
  race: [0.88, 1.0],
  run: [0.7, 0.85],
};
const VI_RANGE: Record<WorkoutKind, [number, number]> = {
  recovery: [1.02, 1.04],
  endurance: [1.03, 1.07],
  long: [1.04, 1.08],
  intervals: [1.1, 1.18],
  race: [1.06, 1.12],
  run: [1, 1],
};

function namePrefix(localHour: number): string {
  if (localHour < 11) return 'Morning';
  if (localHour < 14) return 'Lunch';
  if (localHour < 18) return 'Afternoon';
  return 'Evening';
}

function activityName(rng: Rng, kind: WorkoutKind, sportType: string, localHour: number): string {
  if (sportType === 'VirtualRide') return rng.pick(['Zwift - Watopia', 'Zwift - London Loop', 'Zwift - Tempus Fugit', 'Zwift - Makuri Islands']);
  if (kind === 'intervals') return rng.pick(['4x8 threshold', 'VO2 max 5x4', 'Sweet spot 3x15', 'Over-unders', '2x20 FTP']);
  if (kind === 'race') return rng.pick(['Club race', 'Crit night', 'Gran fondo', 'Hill climb TT']);
  if (kind === 'long') return rng.pick(['Long ride', 'Weekend loop', 'Coffee ride, the long way', `${namePrefix(localHour)} Ride`]);
  if (kind === 'recovery') return rng.pick(['Recovery spin', 'Easy legs', `${namePrefix(localHour)} Ride`]);
  if (kind === 'run') return `${namePrefix(localHour)} Run`;
  const suffix = sportType === 'GravelRide' ? 'Gravel Ride' : 'Ride';
  return `${namePrefix(localHour)} ${suffix}`;
}

/** Steady speed (m/s) at power on a gradient: solves ½ρCdA·v³ + (Crr + grade)·m·g·v = P. */
export function speedForPower(power: number, grade: number, massKg: number, cda: number, crr: number): number {
  const a = 0.5 * AIR_DENSITY * cda;
  const b = (crr + grade) * massKg * GRAVITY;
  let lo = 0;
  let hi = 30;
  for (let i = 0; i < 32; i++) {
    const mid = (lo + hi) / 2;
    if (a * mid * mid * mid + b * mid - power > 0) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}

const timezoneLabels = new Map<Place, string>();
const formatTimezone = (place: Place): string => {
  const cached = timezoneLabels.get(place);
  if (cached) return cached;
  const sign = place.offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(place.offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  const label = `(GMT${sign}${hh}:${mm}) ${place.timezone}`;
  timezoneLabels.set(place, label);
  return label;
};

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `YYYY-MM-DDTHH:MM:SSZ` without a Date object (civil-from-days, H. Hinnant): hot in bulk seeding. */
export function isoSeconds(ms: number): string {
  const totalS = Math.floor(ms / 1000);
  const days = Math.floor(totalS / 86_400);
  const secOfDay = totalS - days * 86_400;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const hh = Math.floor(secOfDay / 3600);
  const mm = Math.floor((secOfDay % 3600) / 60);
  return `${y}-${pad2(m)}-${pad2(d)}T${pad2(hh)}:${pad2(mm)}:${pad2(secOfDay % 60)}Z`;
}

/** The plan (and summary) of an athlete's activity on a day and slot, or undefined on a rest day. */
export function planActivity(athlete: FakeAthlete, epochDay: number, slot = 0): ActivityPlan | undefined {
  if (slot !== 0) return undefined;
  const rng = createRng(athlete.seed, 'day', athlete.profile.id, epochDay);
  const dow = (((epochDay + 4) % 7) + 7) % 7;
  const week = Math.floor((epochDay + 3) / 7);
  const recoveryWeek = (week + athlete.blockOffset) % BLOCK_WEEKS === RECOVERY_WEEK_PHASE;
  const kind = chooseKind(rng, athlete, dow, recoveryWeek);
  if (!kind) return undefined;

  const month = new Date(epochDay * DAY_MS).getUTCMonth();
  const winter = athlete.home.lat >= 0 ? month <= 2 || month >= 10 : month >= 5 && month <= 7;
  let sportType: string;
  if (kind === 'run') sportType = 'Run';
  else if (kind !== 'long' && kind !== 'race' && rng.chance(winter ? 0.5 : 0.15)) sportType = 'VirtualRide';
  else sportType = rng.chance(0.12) ? 'GravelRide' : 'Ride';

  const [dMin, dMax] = DURATION_MIN[kind];
  const volume = kind === 'run' ? Math.sqrt(athlete.volume) : athlete.volume;
  const movingTime = Math.max(900, Math.round(rng.range(dMin, dMax) * 60 * volume * (recoveryWeek ? 0.7 : 1)));
  const weekend = dow === 0 || dow === 6;
  const localHour = weekend ? rng.int(7, 10) : rng.chance(0.55) ? rng.int(6, 7) : rng.int(17, 19);
  const localStartMs = epochDay * DAY_MS + (localHour * 3600 + rng.int(0, 59) * 60 + rng.int(0, 59)) * 1000;
  const startMs = localStartMs - athlete.home.offsetMinutes * 60_000;
  const ifactor = rng.range(...IF_RANGE[kind]);
  const outdoor = sportType !== 'VirtualRide';
  const elapsedTime = movingTime + (outdoor ? Math.round(movingTime * rng.range(0.02, 0.09)) : rng.int(0, 90));
  const hilliness = athlete.home.hilliness * (sportType === 'VirtualRide' ? 0.8 : 1) * rng.range(0.6, 1.4);
  const hrFraction = 0.25 + 0.6 * ifactor + rng.range(-0.03, 0.03);
  const avgHr = athlete.restingHeartrate + (athlete.maxHeartrate - athlete.restingHeartrate) * hrFraction;
  const hasHr = rng.chance(0.95);

  let np = 0;
  let avgWatts = 0;
  let avgSpeed: number;
  let cadence: number;
  if (kind === 'run') {
    const basePace = 2.4 + athlete.ftp / athlete.profile.weight! / 5 * rng.range(0.9, 1.05);
    avgSpeed = basePace * (0.85 + 0.3 * (ifactor - 0.7)) / (1 + hilliness / 200);
    cadence = rng.range(78, 90);
  } else {
    np = ifactor * athlete.ftp;
    avgWatts = np / rng.range(...VI_RANGE[kind]);
    const crr = sportType === 'GravelRide' ? 0.008 : 0.0045;
    const mass = (athlete.profile.weight ?? 70) + BIKE_MASS_KG;
    avgSpeed = speedForPower(avgWatts, 0, mass, athlete.cda, crr) / (1 + hilliness / 45);
    cadence = rng.range(80, 93);
  }
  const distance = round(avgSpeed * movingTime, 1);
  const elevation = round((distance / 1000) * hilliness, 1);
  const maxSpeed = avgSpeed * (kind === 'run' ? rng.range(1.2, 1.5) : rng.range(1.6, 2.3));
  const maxHr = avgHr + (athlete.maxHeartrate - avgHr) * rng.range(0.4, kind === 'intervals' || kind === 'race' ? 0.95 : 0.7);
  const id = activityIdFor(athlete.profile.id, epochDay, slot);
  const avgWattsRounded = round(avgWatts, 1);
  const summary: StravaActivitySummary = {
    resource_state: 2,
    athlete: { id: athlete.profile.id },
    name: activityName(rng, kind, sportType, localHour),
    distance,
    moving_time: movingTime,
    elapsed_time: elapsedTime,
    total_elevation_gain: elevation,
    type: sportType === 'GravelRide' ? 'Ride' : sportType,
    sport_type: sportType,
    workout_type: kind === 'race' ? 11 : kind === 'intervals' ? 12 : null,
    id,
    start_date: isoSeconds(startMs),
    start_date_local: isoSeconds(localStartMs),
    timezone: formatTimezone(athlete.home),
    utc_offset: athlete.home.offsetMinutes * 60,
    trainer: sportType === 'VirtualRide',
    commute: false,
    manual: false,
    private: false,
    visibility: 'everyone',
    average_speed: round(distance / movingTime, 3),
    max_speed: round(maxSpeed, 3),
    has_heartrate: hasHr,
  };
  // Optional fields appended in a fixed order (the JSON key order is part of the golden output).
  if (hasHr) {
    summary.average_heartrate = round(avgHr, 1);
    summary.max_heartrate = Math.round(maxHr);
  }
  summary.average_cadence = round(cadence, 1);
  if (kind === 'run') {
    summary.device_watts = false;
  } else {
    summary.average_watts = avgWattsRounded;
    summary.weighted_average_watts = Math.round(np);
    summary.kilojoules = round((avgWattsRounded * movingTime) / 1000, 1);
    summary.device_watts = true;
    summary.max_watts = Math.round(np * rng.range(1.8, 3));
  }
  return { athlete, epochDay, slot, startMs, kind, np: summary.weighted_average_watts ?? 0, avgWatts: avgWattsRounded, summary };
}

export const epochDayOf = (ms: number): number => Math.floor(ms / DAY_MS);

export interface ActivityWindow {
  /** The window ends at this instant (the injected clock's now); activities must have finished by then. */
  endMs: number;
  days: number;
}

/** An athlete's activities over `days` ending at `endMs`, oldest first. */
export function generateActivities(athlete: FakeAthlete, window: ActivityWindow): StravaActivitySummary[] {
  const endDay = epochDayOf(window.endMs);
  const out: StravaActivitySummary[] = [];
  for (let day = endDay - window.days + 1; day <= endDay; day++) {
    for (let slot = 0; slot < SLOTS_PER_DAY; slot++) {
      const plan = planActivity(athlete, day, slot);
      if (!plan) continue;
      const endOfActivity = plan.startMs + plan.summary.elapsed_time * 1000;
      if (endOfActivity > window.endMs) continue;
      out.push(plan.summary);
    }
  }
  return out;
}

/** The plan behind an activity id, if that athlete has an activity then. */
export function planForActivityId(athlete: FakeAthlete, activityId: number): ActivityPlan | undefined {
  const parsed = parseActivityId(activityId);
  if (!parsed || parsed.athleteId !== athlete.profile.id) return undefined;
  return planActivity(athlete, parsed.epochDay, parsed.slot);
}
