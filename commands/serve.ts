import { Option, type Command } from 'commander';
import { commandContext } from '../src/cli/context.js';
import { examples, MIGRATIONS_DIR_FLAG, MIGRATIONS_DIR_HELP } from '../src/cli/help.js';
import { durationSeconds, port, positiveInt } from '../src/cli/parsers.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the whole VeloReady function API on localhost, offline')
    .option('--port <port>', 'HTTP port (0 = any free port)', port, 8888)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--pg-port <port>', 'Postgres wire-protocol port of the embedded database (0 = any free port)', port, 54322)
    .option('--db-url <url>', 'use this Postgres server instead of the embedded database')
    .option(MIGRATIONS_DIR_FLAG, MIGRATIONS_DIR_HELP)
    .option('--reset', 'start over: delete the embedded database (with --db-url: its seeded rows) and blobs; the JWT secret stays')
    .option('--seed <n>', 'make sure N generated athletes (ids 1000001…) exist besides the demo one (only missing ones are seeded; existing data is kept)', positiveInt)
    .addOption(new Option('--strava <which>', 'fake Strava (default) or the real API').choices(['fake', 'real']).default('fake'))
    .option('--strava-url <url>', 'a Strava-compatible API base URL (implies a real client with rate limiting)')
    .option('--deep-link <url>', 'where OAuth sends the app its tokens', 'veloready://auth')
    .option('--sync-timeout <duration>', 'synchronous function timeout', durationSeconds, 10)
    .option('--idle-in-transaction-timeout <duration>', 'roll back and disconnect a Postgres socket client idle inside a transaction this long', durationSeconds, 10)
    .option('--secret <secret>', 'JWT secret (default: SUPABASE_JWT_SECRET, else the local secret)')
    .option('--rate-limit [perMinute]', 'also limit /api/* reads per user (default 600 a minute); token and login endpoints are always limited (60 a minute per address and per user)', positiveInt)
    .option('--pgtap', 'load pgTAP into the embedded database, for `veloready db test-rls` with pgTAP files while serve runs (off by default: it slows serving)')
    .option('--functions <dir>', "the project's function folder (default: netlify.toml's [functions] directory / [build] functions, else netlify/functions)")
    .addOption(new Option('--builtins <which>', "veloready's built-in functions beside the project's (all) or only the project's (none)").choices(['all', 'none']).default('all'))
    .option('--online', 'let project functions reach external hosts other than Strava and OpenAI (default: refused, serve is offline)')
    .option('--use-env <name>', "keep the project's own value of this variable (.env) instead of serve's local one; repeatable", (v: string, prev: string[] = []) => [...prev, v])
    .option('--no-watch', "do not reload the project's functions when their files change")
    .option('--clock <time>', "start serve's virtual clock at this time: ISO, a shift from now (+3d, -2h), or now (see veloready clock)")
    .option('--import <name>', 'load this snapshot (a name or a .tar.gz path) before starting')
    .option('--export-on-exit <name>', 'save a snapshot (a name or a .tar.gz path) when serve stops')
    .option('--no-ui', 'no dashboard: one log line per request')
    .option('--no-inspector', 'no browser inspector at /_/')
    .addHelpText(
      'after',
      examples([
        'veloready serve',
        'veloready serve --port 9999 --seed 20',
        'veloready serve --no-ui --json | jq .',
        'cd my-site && veloready serve --builtins none   # only the functions in netlify/functions',
        'veloready serve --db-url postgres://postgres@127.0.0.1:5432/veloready',
        'veloready serve --dir db/migrations   # migrate with this folder instead of ./supabase/migrations',
        'veloready serve --clock 2026-03-01T02:50:00Z --import demo --export-on-exit demo',
      ]),
    )
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { runServe } = await import('../src/serve/run.js');
      await runServe(ctx);
    });
}
