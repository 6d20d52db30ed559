import type { Command } from 'commander';
import { commandContext } from '../src/cli/context.js';
import { examples } from '../src/cli/help.js';
import { table } from '../src/cli/output.js';

export function register(program: Command): void {
  program
    .command('config')
    .description('print the resolved configuration and where each value came from (secrets redacted)')
    .option('--db-url <url>', 'database URL (overrides DATABASE_URL)')
    .option('--url <url>', 'function API URL (overrides VELOREADY_API_URL)')
    .addHelpText('after', examples(['veloready config', 'veloready config --json', 'veloready --env-file .env.production config']))
    .action(async (_opts, cmd: Command) => {
      const { out, config } = await commandContext(cmd);
      const { resolveSite } = await import('../src/ops/target.js');
      const { redactUrl } = await import('../src/config/redact.js');
      // The site as every command resolves it (a running serve included), not only the raw setting.
      const site = resolveSite(config);
      const rows = config.describe().map((r) => (r.key === 'apiUrl' ? { ...r, value: redactUrl(site.url), from: site.from } : r));
      out.result(
        () =>
          table(
            ['setting', 'env', 'value', 'from'],
            rows.map((r) => [r.key, r.env ?? '', r.value ?? '(unset)', 'from' in r ? `${r.source} (${r.from})` : (r.source ?? '')]),
          ) + (config.envFile ? `\n\nenv file: ${config.envFile}` : ''),
        { envFile: config.envFile ?? null, settings: rows },
      );
    });
}
