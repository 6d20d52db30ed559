import type { CommandContext } from '../cli/context.js';
import { openDatabase } from '../db/open.js';
import { VeloError } from '../errors.js';

export interface AthleteSelection {
  athletes: number[];
  /** With --all-athletes and `connectedOnly`: athletes never connected to Strava, left out. */
  notConnected: number[];
}

/** `--athlete N`, `--athletes 1,2,3` or `--all-athletes` (read from the target database). */
export async function selectAthletes(ctx: CommandContext): Promise<number[]> {
  return (await selectAthleteSet(ctx)).athletes;
}

/**
 * The same, and with `connectedOnly` (backfill: only athletes Strava will answer for) the
 * --all-athletes list leaves out, and names, athletes that never connected Strava.
 */
export async function selectAthleteSet(ctx: CommandContext, opts: { connectedOnly?: boolean } = {}): Promise<AthleteSelection> {
  const { athlete, athletes, allAthletes } = ctx.opts as { athlete?: number; athletes?: number[]; allAthletes?: boolean };
  const given = [athlete !== undefined, athletes !== undefined, Boolean(allAthletes)].filter(Boolean).length;
  if (given !== 1) {
    throw new VeloError('ATHLETES_REQUIRED', 'name the athletes: one of --athlete N, --athletes 1,2,3 or --all-athletes', 'e.g. --athlete 104662', 2);
  }
  if (athlete !== undefined) return { athletes: [athlete], notConnected: [] };
  if (athletes !== undefined) return { athletes: [...new Set(athletes)], notConnected: [] };
  const dbUrl = ctx.config.get('databaseUrl');
  const sql = await openDatabase({ ...(dbUrl ? { dbUrl } : {}), dataDir: ctx.config.get('dataDir')! });
  try {
    ctx.out.info(`athletes from: ${sql.target.label}`);
    const { rows } = await sql.query<{ id: string; connected: boolean }>(
      `select id::text as id, (strava_access_token is not null and strava_refresh_token is not null) as connected
       from public.athletes where deauthorized_at is null order by id`,
    );
    if (rows.length === 0) throw new VeloError('NO_ATHLETES', `${sql.target.label} has no athletes`, 'seed some with veloready seed');
    const ids = (connected?: boolean) => rows.filter((r) => connected === undefined || r.connected === connected).map((r) => Number(r.id));
    if (!opts.connectedOnly) return { athletes: ids(), notConnected: [] };
    return { athletes: ids(true), notConnected: ids(false) };
  } finally {
    await sql.close();
  }
}
