/** The athlete every fresh `serve` has, with a year of rides (Strava's own example athlete id). */
export const DEMO_ATHLETE_ID = 104662;
