import type { CommandContext } from '../cli/context.js';
import { openDatabase } from '../db/open.js';
import { VeloError } from '../errors.js';

/** `--athlete N`, `--athletes 1,2,3` or `--all-athletes` (read from the target database). */
export async function selectAthletes(ctx: CommandContext): Promise<number[]> {
  const { athlete, athletes, allAthletes } = ctx.opts as { athlete?: number; athletes?: number[]; allAthletes?: boolean };
  const given = [athlete !== undefined, athletes !== undefined, Boolean(allAthletes)].filter(Boolean).length;
  if (given !== 1) {
    throw new VeloError('ATHLETES_REQUIRED', 'name the athletes: one of --athlete N, --athletes 1,2,3 or --all-athletes', 'e.g. --athlete 104662', 2);
  }
  if (athlete !== undefined) return [athlete];
  if (athletes !== undefined) return [...new Set(athletes)];
  const dbUrl = ctx.config.get('databaseUrl');
  const sql = await openDatabase({ ...(dbUrl ? { dbUrl } : {}), dataDir: ctx.config.get('dataDir')! });
  try {
    ctx.out.info(`athletes from: ${sql.target.label}`);
    const { rows } = await sql.query<{ id: string }>('select id::text as id from public.athletes where deauthorized_at is null order by id');
    if (rows.length === 0) throw new VeloError('NO_ATHLETES', `${sql.target.label} has no athletes`, 'seed some with veloready seed');
    return rows.map((r) => Number(r.id));
  } finally {
    await sql.close();
  }
}
