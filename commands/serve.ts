import { Option, type Command } from 'commander';
import { commandContext } from '../src/cli/context.js';
import { examples } from '../src/cli/help.js';
import { durationSeconds, port, positiveInt } from '../src/cli/parsers.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the whole VeloReady function API on localhost, offline')
    .option('--port <port>', 'HTTP port (0 = any free port)', port, 8888)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--pg-port <port>', 'Postgres wire-protocol port of the embedded database (0 = any free port)', port, 54322)
    .option('--db-url <url>', 'use this Postgres server instead of the embedded database')
    .option('--reset', 'start over: delete the embedded database (with --db-url: its seeded rows) and blobs; the JWT secret stays')
    .option('--seed <n>', 'make sure N generated athletes (ids 1000001…) exist besides the demo one (only missing ones are seeded; existing data is kept)', positiveInt)
    .addOption(new Option('--strava <which>', 'fake Strava (default) or the real API').choices(['fake', 'real']).default('fake'))
    .option('--strava-url <url>', 'a Strava-compatible API base URL (implies a real client with rate limiting)')
    .option('--deep-link <url>', 'where OAuth sends the app its tokens', 'veloready://auth')
    .option('--sync-timeout <duration>', 'synchronous function timeout', durationSeconds, 10)
    .option('--idle-in-transaction-timeout <duration>', 'roll back and disconnect a Postgres socket client idle inside a transaction this long', durationSeconds, 10)
    .option('--secret <secret>', 'JWT secret (default: SUPABASE_JWT_SECRET, else the local secret)')
    .option('--pgtap', 'load pgTAP into the embedded database, for `veloready db test-rls` with pgTAP files while serve runs (off by default: it slows serving)')
    .option('--no-ui', 'no dashboard: one log line per request')
    .addHelpText(
      'after',
      examples([
        'veloready serve',
        'veloready serve --port 9999 --seed 20',
        'veloready serve --no-ui --json | jq .',
        'veloready serve --db-url postgres://postgres@127.0.0.1:5432/veloready',
      ]),
    )
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { runServe } = await import('../src/serve/run.js');
      await runServe(ctx);
    });
}
