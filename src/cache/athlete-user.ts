import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { storedUserIdOf, userIdForAthlete } from '../auth/user-id.js';
import { openDatabase } from '../db/open.js';
import { pgliteDir } from '../db/paths.js';
import { liveServeInfo } from '../db/serve-info.js';

/**
 * The auth user id that keys an athlete's briefs (`{userId}:{date}:{version}`). In production
 * athletes.user_id points at a real auth.users id, so it is read from the target database
 * (--db-url > DATABASE_URL > the embedded one); the id derived from the athlete id, which only
 * local seeds use, is the fallback when no database answers, with a notice saying so.
 */
export interface AthleteUserId {
  userId: string;
  /** Set when the derived id was used: why, in one line. */
  notice?: string;
}

export interface ResolveAthleteUserOptions {
  /** `--db-url` > DATABASE_URL; absent means the embedded database. */
  dbUrl?: string;
  dataDir: string;
}

/** An embedded database exists (opening a missing one would create and initdb it: seconds). */
const embeddedExists = (dataDir: string): boolean => existsSync(join(pgliteDir(dataDir), 'PG_VERSION'));

export async function resolveAthleteUserId(athleteId: number, options: ResolveAthleteUserOptions): Promise<AthleteUserId> {
  const derived = userIdForAthlete(athleteId);
  const fallback = (why: string): AthleteUserId => ({
    userId: derived,
    notice: `${why}; matching athlete ${athleteId}'s briefs by the derived user id ${derived}`,
  });
  if (!options.dbUrl && !liveServeInfo(options.dataDir) && !embeddedExists(options.dataDir)) {
    return fallback('no database (no --db-url, DATABASE_URL, running serve or embedded database)');
  }
  let sql: Awaited<ReturnType<typeof openDatabase>>;
  try {
    sql = await openDatabase({ dbUrl: options.dbUrl, dataDir: options.dataDir });
  } catch (err) {
    return fallback(`no database: ${reason(err)}`);
  }
  try {
    const userId = await storedUserIdOf(sql, athleteId);
    return userId ? { userId } : fallback(`athlete ${athleteId} is not in ${sql.target.label}`);
  } catch (err) {
    return fallback(`cannot read athletes from ${sql.target.label}: ${reason(err)}`);
  } finally {
    await sql.close();
  }
}

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
