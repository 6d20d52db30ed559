import { CommanderError, type Command } from 'commander';
import { outputFor } from '../src/cli/context.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, VeloError, isVeloError, usageError } from '../src/errors.js';
import { preferBaselineWasm } from '../src/util/baseline-wasm.js';
import { COMMAND_GROUPS, createProgram } from './program.js';

type Register = (program: Command) => void;

/** Builds the full program. Group modules are light: heavy imports happen inside actions. */
export async function buildProgram(): Promise<Command> {
  const program = createProgram();
  const modules = await Promise.all(COMMAND_GROUPS.map((name) => import(`./${name}.js`) as Promise<{ register: Register }>));
  for (const m of modules) m.register(program);
  applyConventions(program);
  return program;
}

/** exitOverride + silent commander errors on every (sub)command: main() renders them. */
function applyConventions(cmd: Command): void {
  cmd.exitOverride();
  cmd.helpCommand(false);
  cmd.configureOutput({ outputError: () => {} });
  for (const sub of cmd.commands) applyConventions(sub);
}

/** The deepest known command named by argv, for the "see --help" hint. */
function commandPath(program: Command | undefined, argv: string[]): string[] {
  const path: string[] = [];
  let cmd = program;
  for (const word of argv.filter((a) => !a.startsWith('-'))) {
    const sub = cmd?.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!sub) break;
    path.push(sub.name());
    cmd = sub;
  }
  return path;
}

function usageFromCommander(err: CommanderError, program: Command | undefined, argv: string[]): VeloError {
  const message = err.message.replace(/^error:\s*/i, '');
  const path = commandPath(program, argv);
  return usageError('USAGE', message, `see: veloready ${path.length ? `${path.join(' ')} ` : ''}--help`);
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  preferBaselineWasm();
  const jsonRequested = argv.includes('--json');
  const verbose = argv.includes('--verbose');
  const out = outputFor({ json: jsonRequested, color: !argv.includes('--no-color'), verbose });
  let program: Command | undefined;
  try {
    program = await buildProgram();
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code) && err.exitCode === 0) {
        return EXIT_OK;
      }
      out.error(usageFromCommander(err, program, argv));
      return EXIT_USAGE;
    }
    if (isVeloError(err)) {
      out.error(err);
      if (verbose && err.stack) process.stderr.write(err.stack + '\n');
      return err.exitCode;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    out.error(new VeloError('INTERNAL', e.message, verbose ? undefined : 'run again with --verbose for details'));
    if (verbose && e.stack) process.stderr.write(e.stack + '\n');
    return EXIT_FAILURE;
  }
}
