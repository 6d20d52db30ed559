import type { Command } from 'commander';
import { commandContext } from '../src/cli/context.js';
import { examples } from '../src/cli/help.js';

export function register(program: Command): void {
  program
    .command('keys')
    .description('print the Supabase URL and the local anon and service-role keys')
    .option('--env', 'print them as .env lines (SUPABASE_URL=..., SUPABASE_ANON_KEY=..., ...)')
    .option('--secret <secret>', 'JWT secret (default: SUPABASE_JWT_SECRET, else the local secret)')
    .option('--url <url>', 'the site (default: VELOREADY_API_URL, else the running serve of --data-dir, else http://127.0.0.1:8888)')
    .addHelpText(
      'after',
      examples([
        'veloready keys',
        'veloready keys --json',
        'veloready keys --env >> .env',
        'curl -H "apikey: $(veloready keys --json | jq -r .anonKey)" http://127.0.0.1:8888/rest/v1/athletes',
      ]),
    )
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { supabaseConnectionInfo } = await import('../src/supabase/keys-service.js');
      const { urlFrom, ...info } = await supabaseConnectionInfo(ctx);
      ctx.out.info(`target: ${info.url} (${urlFrom})`);
      if (ctx.opts.env && !ctx.opts.json) {
        ctx.out.print(
          [
            `SUPABASE_URL=${info.url}`,
            `SUPABASE_ANON_KEY=${info.anonKey}`,
            `SUPABASE_SERVICE_ROLE_KEY=${info.serviceRoleKey}`,
          ].join('\n'),
        );
        return;
      }
      ctx.out.result(
        () =>
          [
            `${ctx.out.color.bold('API URL')}           ${info.url}`,
            `${ctx.out.color.bold('auth')}              ${info.url}/auth/v1`,
            `${ctx.out.color.bold('rest')}              ${info.url}/rest/v1`,
            `${ctx.out.color.bold('anon key')}          ${info.anonKey}`,
            `${ctx.out.color.bold('service_role key')}  ${info.serviceRoleKey}`,
            '',
            ctx.out.color.dim(`signed with the ${info.secretSource === 'data-dir' ? 'local' : info.secretSource} JWT secret; keep the service_role key server-side`),
          ].join('\n'),
        info,
      );
    });
}
