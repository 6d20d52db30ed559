/** Generated athletes and activities as rows of the VeloReady schema (docs/SCHEMA.md). */
import { emailForAthlete, userIdForAthlete } from '../auth/user-id.js';
import type { FakeAthlete } from '../strava/generator.js';
import type { StravaActivitySummary, StravaStreamSet } from '../strava/port.js';
import type { BulkColumn } from './bulk.js';

export const USER_COLUMNS: readonly BulkColumn[] = [
  { name: 'id', type: 'uuid' },
  { name: 'email', type: 'text' },
  { name: 'email_confirmed_at', type: 'timestamptz' },
  { name: 'raw_app_meta_data', type: 'jsonb' },
  { name: 'raw_user_meta_data', type: 'jsonb' },
  { name: 'created_at', type: 'timestamptz' },
  { name: 'updated_at', type: 'timestamptz' },
];

export const ATHLETE_COLUMNS: readonly BulkColumn[] = [
  { name: 'id', type: 'bigint' },
  { name: 'user_id', type: 'uuid' },
  { name: 'firstname', type: 'text' },
  { name: 'lastname', type: 'text' },
  { name: 'city', type: 'text' },
  { name: 'country', type: 'text' },
  { name: 'sex', type: 'text' },
  { name: 'weight', type: 'real' },
  { name: 'profile', type: 'text' },
  { name: 'ftp', type: 'integer' },
  { name: 'max_heartrate', type: 'integer' },
  { name: 'resting_heartrate', type: 'integer' },
  { name: 'fitness_level', type: 'text' },
  { name: 'strava_scope', type: 'text' },
  { name: 'created_at', type: 'timestamptz' },
  { name: 'updated_at', type: 'timestamptz' },
];

export const ACTIVITY_FIELDS = [
  'id', 'athlete_id', 'name', 'type', 'sport_type', 'start_date', 'start_date_local', 'timezone', 'distance',
  'moving_time', 'elapsed_time', 'total_elevation_gain', 'average_speed', 'max_speed', 'average_heartrate',
  'max_heartrate', 'average_watts', 'weighted_average_watts', 'kilojoules', 'device_watts', 'has_heartrate',
  'average_cadence',
] as const;

const ACTIVITY_TYPES: Record<(typeof ACTIVITY_FIELDS)[number], string> = {
  id: 'bigint', athlete_id: 'bigint', name: 'text', type: 'text', sport_type: 'text', start_date: 'timestamptz',
  start_date_local: 'timestamp', timezone: 'text', distance: 'double precision', moving_time: 'integer',
  elapsed_time: 'integer', total_elevation_gain: 'double precision', average_speed: 'double precision',
  max_speed: 'double precision', average_heartrate: 'double precision', max_heartrate: 'double precision',
  average_watts: 'double precision', weighted_average_watts: 'double precision', kilojoules: 'double precision',
  device_watts: 'boolean', has_heartrate: 'boolean', average_cadence: 'double precision',
};

export const ACTIVITY_COLUMNS: readonly BulkColumn[] = ACTIVITY_FIELDS.map((name) => ({ name, type: ACTIVITY_TYPES[name] }));

/** One row per stream type (the reference's `activity_streams`). */
export const STREAM_COLUMNS: readonly BulkColumn[] = [
  { name: 'activity_id', type: 'bigint' },
  { name: 'athlete_id', type: 'bigint' },
  { name: 'stream_type', type: 'text' },
  { name: 'data', type: 'jsonb' },
  { name: 'series_type', type: 'text' },
  { name: 'original_size', type: 'integer' },
  { name: 'resolution', type: 'text' },
];

/** The rows of one activity's streams (Strava's key_by_type set). */
export function streamRows(activityId: number, athleteId: number, streams: StravaStreamSet): unknown[][] {
  return Object.entries(streams).map(([type, s]) => [
    activityId, athleteId, type, JSON.stringify(s!.data), s!.series_type, s!.original_size, s!.resolution,
  ]);
}

/** The scope a seeded athlete is treated as having granted. */
export const SEEDED_SCOPE = 'read,activity:read_all';

export function userRow(a: FakeAthlete, seed: string, nowIso: string): unknown[] {
  const id = a.profile.id;
  return [
    userIdForAthlete(id),
    emailForAthlete(id),
    nowIso,
    JSON.stringify({ provider: 'strava', providers: ['strava'], athlete_id: id, seeded: true, seed }),
    JSON.stringify({ full_name: `${a.profile.firstname} ${a.profile.lastname}`, avatar_url: a.profile.profile }),
    nowIso,
    nowIso,
  ];
}

export function athleteRow(a: FakeAthlete, nowIso: string): unknown[] {
  const p = a.profile;
  return [
    p.id, userIdForAthlete(p.id), p.firstname, p.lastname, p.city, p.country, p.sex, p.weight, p.profile,
    a.ftp, a.maxHeartrate, a.restingHeartrate, a.fitnessLevel, SEEDED_SCOPE, nowIso, nowIso,
  ];
}

export function activityRow(s: StravaActivitySummary): unknown[] {
  return [
    s.id, s.athlete.id, s.name, s.type, s.sport_type, s.start_date, s.start_date_local.replace(/Z$/, ''), s.timezone,
    s.distance, s.moving_time, s.elapsed_time, s.total_elevation_gain, s.average_speed, s.max_speed,
    s.average_heartrate ?? null, s.max_heartrate ?? null, s.average_watts ?? null, s.weighted_average_watts ?? null,
    s.kilojoules ?? null, s.device_watts ?? false, s.has_heartrate, s.average_cadence ?? null,
  ];
}
