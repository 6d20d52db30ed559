import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateActivities, generateAthleteWithId, planForActivityId } from '../../src/strava/generator.js';
import { generateStreams } from '../../src/strava/streams.js';

const read = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/strava/${name}`, import.meta.url), 'utf8'));

describe('Strava fixtures', () => {
  it('match what the generator produces for the demo athlete', () => {
    const athlete = generateAthleteWithId(104662, '42');
    const acts = generateActivities(athlete, { endMs: Date.UTC(2026, 0, 15, 12), days: 14 });
    expect(read('athlete-104662.json')).toEqual(athlete.profile);
    expect(read('activities-104662.json')).toEqual([...acts].reverse());
    const sample = read('streams-sample.json') as { activity_id: number; streams: unknown };
    expect(sample.streams).toEqual(generateStreams(planForActivityId(athlete, sample.activity_id)!, ['time', 'watts', 'heartrate', 'distance']));
  });
});
