import type { Command } from 'commander';
import { resolveConfig, type ResolvedConfig } from '../config/config.js';
import { Output, colorWanted } from './output.js';

export interface GlobalOptions {
  json?: boolean;
  dataDir?: string;
  envFile?: string;
  color?: boolean;
  verbose?: boolean;
}

export interface CommandContext {
  /** All options: the program's globals merged with the command's own. */
  opts: GlobalOptions & Record<string, unknown>;
  out: Output;
  config: ResolvedConfig;
}

export function outputFor(opts: GlobalOptions): Output {
  return new Output({ json: Boolean(opts.json), color: colorWanted(opts.color), verbose: Boolean(opts.verbose) });
}

/** Everything an action needs: parsed options, output and resolved configuration. */
export async function commandContext(cmd: Command): Promise<CommandContext> {
  const opts = cmd.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
  return { opts, out: outputFor(opts), config: resolveConfig({ flags: opts, envFile: opts.envFile }) };
}
