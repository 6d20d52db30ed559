import type { TestServe } from '../serve/helpers.js';

/** How many activities the fake Strava serves for an athlete: every page of its real API. */
export async function fakeStravaCount(serve: TestServe, athleteId: number): Promise<number> {
  const { rows } = await serve.sql.query<{ t: string }>('select strava_access_token as t from public.athletes where id = $1', [athleteId]);
  let total = 0;
  for (let page = 1; ; page++) {
    const r = await fetch(`${serve.url}/strava/api/v3/athlete/activities?per_page=200&page=${page}`, { headers: { authorization: `Bearer ${rows[0]!.t}` } });
    if (r.status !== 200) throw new Error(`fake Strava answered ${r.status}`);
    const list = (await r.json()) as unknown[];
    total += list.length;
    if (list.length < 200) return total;
  }
}

export async function dbCount(serve: TestServe, athleteId: number): Promise<number> {
  const { rows } = await serve.sql.query<{ n: string }>('select count(*)::text as n from public.activities where athlete_id = $1', [athleteId]);
  return Number(rows[0]!.n);
}

export async function setFakeStravaFaults(url: string, faults: Record<string, unknown> | null): Promise<void> {
  const r = await fetch(`${url}/strava/_fake/faults`, { method: faults ? 'POST' : 'DELETE', headers: { 'content-type': 'application/json' }, ...(faults ? { body: JSON.stringify(faults) } : {}) });
  if (r.status !== 200) throw new Error(`faults: ${r.status} ${await r.text()}`);
}

/** Resolves once serve has refused a backfill because one for the same athlete is running. */
export function backfillRefused(serve: TestServe): Promise<void> {
  return new Promise((resolve) => {
    const off = serve.emulator.jobs.subscribe((job) => {
      if (job.progress?.['conflict'] !== true) return;
      off();
      resolve();
    });
  });
}
