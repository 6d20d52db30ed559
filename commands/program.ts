import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/util/package-root.js';

/** Command groups, each `commands/<name>.ts` exporting register(program). Order = help order. */
export const COMMAND_GROUPS = ['serve', 'clock', 'snapshot', 'db', 'seed', 'token', 'keys', 'cache', 'blobs', 'backfill', 'trigger', 'functions', 'config'] as const;

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function createProgram(): Command {
  return new Command('veloready')
    .description('Operator CLI and offline emulator for the VeloReady backend')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--json', 'machine-readable output on stdout (nothing else on stdout)')
    .option('--data-dir <dir>', 'local state directory (env VELOREADY_DATA_DIR)', undefined)
    .option('--env-file <path>', 'read environment from this file (default: .env when present)')
    .option('--no-color', 'disable colours (NO_COLOR is honoured too)')
    .option('--verbose', 'more detail, and stack traces on errors')
    .helpOption('-h, --help', 'show help')
    .addHelpCommand(false)
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Examples:
  $ veloready serve                       the whole backend on http://127.0.0.1:8888, offline
  $ veloready token mint --athlete 104662 an access token for the demo athlete
  $ veloready db migrate --db-url postgres://postgres@127.0.0.1:5432/app
  $ veloready <command> --help            help for one command
`,
    );
}
