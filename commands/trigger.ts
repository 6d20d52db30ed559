import type { Command } from 'commander';
import { commandContext } from '../src/cli/context.js';
import { examples } from '../src/cli/help.js';
import { jsonObject } from '../src/cli/parsers.js';
import { usageError } from '../src/errors.js';

export function register(program: Command): void {
  program
    .command('trigger')
    .description('run a scheduled or background function now, locally or on a deployed site')
    .argument('[function]', 'function name, e.g. cleanup or nightly-reconcile')
    .option('--list', 'list the functions with their schedules (from ./netlify.toml when present), next runs and routes')
    .option('--body <json>', 'request body (JSON object)', jsonObject)
    .option('--url <url>', 'site URL (default: VELOREADY_API_URL, else the running serve of --data-dir, else http://127.0.0.1:8888)')
    .option('--token <jwt>', 'operator token (default: a service_role token minted from the JWT secret)')
    .option('--secret <secret>', 'the site\'s JWT secret (default: SUPABASE_JWT_SECRET)')
    .option('--dry-run', 'print the request it would make')
    .addHelpText(
      'after',
      examples(['veloready trigger --list', 'veloready trigger cleanup', 'veloready trigger nightly-reconcile --url https://veloready.netlify.app', `veloready trigger backfill-background --body '{"athlete_id":104662}'`]),
    )
    .action(async (name: string | undefined, _o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { runTrigger, runTriggerList } = await import('../src/ops/trigger.js');
      if (ctx.opts.list) return runTriggerList(ctx);
      if (!name) throw usageError('FUNCTION_REQUIRED', 'name the function to run', 'see the names with: veloready trigger --list');
      await runTrigger(ctx, name, ctx.opts.body);
    });
}
