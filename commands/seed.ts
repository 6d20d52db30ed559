import type { Command } from 'commander';
import { commandContext, type CommandContext } from '../src/cli/context.js';
import { VeloError } from '../src/errors.js';
import { examples } from '../src/cli/help.js';
import { idList, positiveInt } from '../src/cli/parsers.js';

const DEFAULT_ATHLETES = 50;
const DEFAULT_DAYS = 365;
const DEFAULT_SEED = '42';
const DEFAULT_STREAM_DAYS = 7;

/** --supabase needs the project URL, its service-role key and a database URL for the bulk rows. */
async function supabaseTarget(ctx: CommandContext): Promise<{ url: string; serviceRoleKey: string }> {
  const url = ctx.config.get('supabaseUrl');
  const serviceRoleKey = ctx.config.get('supabaseServiceRoleKey');
  const missing = [!url && 'SUPABASE_URL', !serviceRoleKey && 'SUPABASE_SERVICE_ROLE_KEY', !ctx.config.get('databaseUrl') && 'DATABASE_URL (or --db-url)'].filter(Boolean);
  if (missing.length) {
    throw new VeloError('SUPABASE_NOT_CONFIGURED', `seed --supabase needs ${missing.join(', ')}`, 'set them in the environment or .env (Supabase dashboard → Settings → API / Database)');
  }
  return { url: url!, serviceRoleKey: serviceRoleKey! };
}

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
    .option('--supabase', 'a managed Supabase project: auth users through its Admin API (SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY), rows through DATABASE_URL')
    .addHelpText(
      'after',
      examples([
        'veloready seed',
        'veloready seed --athletes 50 --days 365 --seed 42',
        'veloready seed --athletes 5 --days 30 --athlete-id 104662 --with-streams --stream-days 14',
        'veloready seed --reset --seed 7 --db-url postgres://postgres@127.0.0.1:5432/app --json',
        'SUPABASE_URL=https://abc.supabase.co SUPABASE_SERVICE_ROLE_KEY=... DATABASE_URL=postgres://... veloready seed --supabase --athletes 20',
      ]),
    )
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const [{ openDatabase }, { seedDatabase }, { createProgress }] = await Promise.all([
        import('../src/db/open.js'),
        import('../src/seed/seed.js'),
        import('../src/ui/progress.js'),
      ]);
      const supabase = ctx.opts.supabase ? await supabaseTarget(ctx) : undefined;
      const sql = await openDatabase({ dbUrl: ctx.config.get('databaseUrl'), dataDir: ctx.config.get('dataDir') ?? '.veloready' });
      ctx.out.info(`database: ${sql.target.label}`);
      const progress = await createProgress(ctx.out, `seeding (seed ${String(ctx.opts.seed)})`);
      const started = performance.now();
      try {
        let supabaseUsers: { created: number; existing: number; deleted: number } | undefined;
        if (supabase) {
          const { adminClient, ensureSupabaseUsers, deleteSeededSupabaseUsers } = await import('../src/seed/supabase-users.js');
          const { seedAthletes } = await import('../src/seed/seed.js');
          ctx.out.info(`auth: ${supabase.url} (Admin API)`);
          const client = await adminClient(supabase.url, supabase.serviceRoleKey);
          const deleted = ctx.opts.reset ? await deleteSeededSupabaseUsers(client, supabase.url) : 0;
          const athletes = seedAthletes({ athletes: ctx.opts.athletes as number, seed: ctx.opts.seed as string, athleteIds: ctx.opts.athleteId as number[] | undefined });
          const users = await ensureSupabaseUsers(client, supabase.url, athletes, String(ctx.opts.seed), (done, total) =>
            progress.update('users', { label: 'auth users', done, total, status: done >= total ? 'done' : 'running' }),
          );
          supabaseUsers = { ...users, deleted };
        }
        const result = await seedDatabase(sql, {
          athletes: ctx.opts.athletes as number,
          days: ctx.opts.days as number,
          seed: ctx.opts.seed as string,
          athleteIds: ctx.opts.athleteId as number[] | undefined,
          withStreams: Boolean(ctx.opts.withStreams),
          streamDays: ctx.opts.streamDays as number,
          reset: Boolean(ctx.opts.reset) && !supabase,
          ...(supabase ? { authUsers: 'existing' as const } : {}),
          onProgress: (p) => progress.update(p.phase, { label: p.phase, done: p.done, total: p.total, status: p.done >= p.total ? 'done' : 'running' }),
        });
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        const { users, athletes, activities, streams } = result.inserted;
        await progress.finish(`seeded in ${seconds}s`);
        ctx.out.result(
          () =>
            [
              `${result.generated.athletes} athletes, ${result.generated.activities} activities${result.generated.streams ? `, ${result.generated.streams} streams` : ''} (seed ${result.seed}, ${result.days} days)`,
              `written: ${users} users, ${athletes} athletes, ${activities} activities, ${streams} streams${users + athletes + activities + streams === 0 ? ' (already seeded: nothing changed)' : ''}`,
              ...(supabaseUsers ? [`auth users via the Admin API: ${supabaseUsers.created} created, ${supabaseUsers.existing} already there`] : []),
              ...(result.skippedAthletes.length > 0
                ? [`skipped athlete(s) ${result.skippedAthletes.join(', ')}: the id or its user already belongs to another row (see docs/SCHEMA.md)`]
                : []),
              ...(ctx.opts.reset ? [`reset: removed ${supabaseUsers?.deleted ?? result.deletedUsers} previously seeded users and their data`] : []),
            ].join('\n'),
          { ...result, ...(supabaseUsers ? { supabaseUsers } : {}), durationMs: Math.round(performance.now() - started), target: sql.target.label },
        );
      } catch (err) {
        await progress.finish();
        throw err;
      } finally {
        await sql.close();
      }
    });
}
