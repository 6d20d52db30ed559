import type { Command } from 'commander';
import { commandContext } from '../src/cli/context.js';
import { examples } from '../src/cli/help.js';
import { idList, positiveInt } from '../src/cli/parsers.js';

const DEFAULT_ATHLETES = 50;
const DEFAULT_DAYS = 365;
const DEFAULT_SEED = '42';
const DEFAULT_STREAM_DAYS = 7;

export function register(program: Command): void {
  program
    .command('seed')
    .description('write realistic fake athletes, auth users and activities (deterministic from --seed)')
    .option('--athletes <n>', 'number of generated athletes', positiveInt, DEFAULT_ATHLETES)
    .option('--days <n>', 'days of activities, ending today', positiveInt, DEFAULT_DAYS)
    .option('--seed <seed>', 'seed: the same seed gives the same data', DEFAULT_SEED)
    .option('--athlete-id <ids>', 'also seed these Strava athlete ids (e.g. 104662)', idList)
    .option('--db-url <url>', 'Postgres / Supabase connection string (default: DATABASE_URL, else the embedded database)')
    .option('--with-streams', 'also store 1 Hz streams in activity_streams')
    .option('--stream-days <n>', 'with --with-streams: streams for activities of the last N days', positiveInt, DEFAULT_STREAM_DAYS)
    .option('--reset', 'delete previously seeded users (and their data) first; other users are untouched')
    .addHelpText(
      'after',
      examples([
        'veloready seed',
        'veloready seed --athletes 50 --days 365 --seed 42',
        'veloready seed --athletes 5 --days 30 --athlete-id 104662 --with-streams --stream-days 14',
        'veloready seed --reset --seed 7 --db-url postgres://postgres@127.0.0.1:5432/app --json',
      ]),
    )
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const [{ openDatabase }, { seedDatabase }, { createProgress }] = await Promise.all([
        import('../src/db/open.js'),
        import('../src/seed/seed.js'),
        import('../src/ui/progress.js'),
      ]);
      const sql = await openDatabase({ dbUrl: ctx.config.get('databaseUrl'), dataDir: ctx.config.get('dataDir') ?? '.veloready' });
      ctx.out.info(`database: ${sql.target.label}`);
      const progress = await createProgress(ctx.out, `seeding (seed ${String(ctx.opts.seed)})`);
      const started = performance.now();
      try {
        const result = await seedDatabase(sql, {
          athletes: ctx.opts.athletes as number,
          days: ctx.opts.days as number,
          seed: ctx.opts.seed as string,
          athleteIds: ctx.opts.athleteId as number[] | undefined,
          withStreams: Boolean(ctx.opts.withStreams),
          streamDays: ctx.opts.streamDays as number,
          reset: Boolean(ctx.opts.reset),
          onProgress: (p) => progress.update(p.phase, { label: p.phase, done: p.done, total: p.total, status: p.done >= p.total ? 'done' : 'running' }),
        });
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        const { users, athletes, activities, streams } = result.inserted;
        await progress.finish(`seeded in ${seconds}s`);
        ctx.out.result(
          () =>
            [
              `${result.generated.athletes} athletes, ${result.generated.activities} activities${result.generated.streams ? `, ${result.generated.streams} stream sets` : ''} (seed ${result.seed}, ${result.days} days)`,
              `written: ${users} users, ${athletes} athletes, ${activities} activities, ${streams} streams${users + athletes + activities + streams === 0 ? ' (already seeded: nothing changed)' : ''}`,
              ...(ctx.opts.reset ? [`reset: removed ${result.deletedUsers} previously seeded users and their data`] : []),
            ].join('\n'),
          { ...result, durationMs: Math.round(performance.now() - started), target: sql.target.label },
        );
      } catch (err) {
        await progress.finish();
        throw err;
      } finally {
        await sql.close();
      }
    });
}
