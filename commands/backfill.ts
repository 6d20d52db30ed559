import type { Command } from 'commander';
import { commandContext } from '../src/cli/context.js';
import { examples } from '../src/cli/help.js';
import { idList, isoDate, positiveInt } from '../src/cli/parsers.js';

export function register(program: Command): void {
  const backfill = program
    .command('backfill')
    .description('pull athletes\' Strava history into the database on a site (background function), and follow it')
    .option('--athlete <id>', 'one athlete', positiveInt)
    .option('--athletes <ids>', 'several athletes, comma-separated', idList)
    .option('--all-athletes', 'every athlete connected to Strava in the target database (the others are listed as skipped)')
    .option('--since <date>', 'oldest activity to fetch', isoDate)
    .option('--until <date>', 'newest activity to fetch', isoDate)
    .option('--url <url>', 'site URL (default: VELOREADY_API_URL, else the running serve of --data-dir, else http://127.0.0.1:8888)')
    .option('--token <jwt>', 'operator token (default: a service_role token minted from the JWT secret)')
    .option('--secret <secret>', 'the site\'s JWT secret (default: SUPABASE_JWT_SECRET)')
    .option('--db-url <url>', 'database to list --all-athletes from')
    .option('--concurrency <n>', 'athletes at once', positiveInt, 4)
    .option('--no-wait', 'print the job ids and return at once')
    .option('--dry-run', 'print the requests it would make')
    .addHelpText(
      'after',
      examples([
        'veloready backfill --athlete 104662',
        'veloready backfill --athletes 1,2,3 --since 2024-01-01 --url https://veloready.netlify.app',
        'veloready backfill --all-athletes --concurrency 8 --no-wait',
        'veloready backfill status 7d1c…',
      ]),
    )
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const [{ runBackfill }, { selectAthleteSet }] = await Promise.all([import('../src/ops/backfill-run.js'), import('../src/ops/athletes.js')]);
      const { athletes, notConnected } = await selectAthleteSet(ctx, { connectedOnly: true });
      await runBackfill(ctx, {
        athletes,
        notConnected,
        ...(ctx.opts.since ? { since: ctx.opts.since as string } : {}),
        ...(ctx.opts.until ? { until: ctx.opts.until as string } : {}),
        wait: ctx.opts.wait !== false,
        concurrency: ctx.opts.concurrency as number,
      });
    });

  backfill
    .command('status')
    .description('follow a backfill job until it ends')
    .argument('<job-id>', 'the job id backfill printed')
    .option('--url <url>', 'site URL (default: VELOREADY_API_URL, else the running serve of --data-dir, else http://127.0.0.1:8888)')
    .option('--token <jwt>', 'operator token (default: a service_role token minted from the JWT secret)')
    .option('--secret <secret>', 'the site\'s JWT secret (default: SUPABASE_JWT_SECRET)')
    .addHelpText('after', examples(['veloready backfill status 7d1c2e0a-…', 'veloready backfill status 7d1c2e0a-… --json']))
    .action(async (jobId: string, _o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { runBackfillStatus } = await import('../src/ops/backfill-run.js');
      await runBackfillStatus(ctx, jobId);
    });
}
