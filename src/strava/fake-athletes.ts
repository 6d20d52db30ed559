/** Which athletes the fake Strava knows: a seed's generated athletes plus any registered ids. */
import { generateActivities, generateAthlete, generateAthleteWithId, epochDayOf, type FakeAthlete } from './generator.js';
import type { StravaActivitySummary } from './port.js';

export interface AthleteDirectory {
  readonly seed: string;
  list(): readonly FakeAthlete[];
  get(id: number): FakeAthlete | undefined;
  /** Makes an id known (e.g. serve's demo athlete); returns its generated profile. */
  register(id: number): FakeAthlete;
}

export interface AthleteDirectoryOptions {
  seed?: string | number;
  /** How many generated athletes (ids FIRST_ATHLETE_ID..). Default 20. */
  count?: number;
  /** Extra athlete ids to serve, e.g. [104662]. */
  ids?: readonly number[];
}

export const DEFAULT_DIRECTORY_SIZE = 20;

export function createAthleteDirectory(options: AthleteDirectoryOptions = {}): AthleteDirectory {
  const seed = String(options.seed ?? '42');
  const byId = new Map<number, FakeAthlete>();
  for (let i = 0; i < (options.count ?? DEFAULT_DIRECTORY_SIZE); i++) {
    const a = generateAthlete(seed, i);
    byId.set(a.profile.id, a);
  }
  const directory: AthleteDirectory = {
    seed,
    list: () => [...byId.values()],
    get: (id) => byId.get(id),
    register: (id) => {
      const existing = byId.get(id);
      if (existing) return existing;
      const a = generateAthleteWithId(id, seed);
      byId.set(id, a);
      return a;
    },
  };
  for (const id of options.ids ?? []) directory.register(id);
  return directory;
}

/** Memoizes each athlete's activity list per UTC day; filters to those finished by `nowMs`. */
export function createActivityCache(days: number): (athlete: FakeAthlete, nowMs: number) => StravaActivitySummary[] {
  const cache = new Map<number, { day: number; list: StravaActivitySummary[] }>();
  return (athlete, nowMs) => {
    const day = epochDayOf(nowMs);
    let entry = cache.get(athlete.profile.id);
    if (!entry || entry.day !== day) {
      const endOfDay = (day + 1) * 86_400_000 - 1;
      entry = { day, list: generateActivities(athlete, { endMs: endOfDay + 86_400_000, days: days + 1 }) };
      cache.set(athlete.profile.id, entry);
    }
    const firstDayMs = (day - days + 1) * 86_400_000;
    return entry.list.filter((a) => {
      const start = Date.parse(a.start_date);
      return start >= firstDayMs && start + a.elapsed_time * 1000 <= nowMs;
    });
  };
}
