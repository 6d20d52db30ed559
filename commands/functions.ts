import type { Command } from 'commander';
import { commandContext } from '../src/cli/context.js';
import { examples } from '../src/cli/help.js';

export function register(program: Command): void {
  const functions = program
    .command('functions')
    .description("the functions serve runs in this folder: the project's own and the built-ins")
    .addHelpText('after', examples(['veloready functions list', 'veloready functions list --json']));
  functions
    .command('list')
    .description('each function with its source (project file or built-in), kind, routes, schedule and next run')
    .option('--functions <dir>', "the project's function folder (as serve --functions)")
    .option('--builtins <which>', 'all (default) or none, as serve --builtins')
    .addHelpText('after', examples(['veloready functions list', 'veloready functions list --json | jq \'.functions[] | select(.source != "built-in")\'']))
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { runFunctionsList } = await import('../src/ops/functions-list.js');
      runFunctionsList(ctx);
    });
}
