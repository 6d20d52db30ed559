import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandContext } from '../cli/context.js';
import { table } from '../cli/output.js';
import { systemClock, type Clock } from '../clock.js';
import { usageError } from '../errors.js';
import { FUNCTIONS } from '../functions/index.js';
import { listFunctions } from '../runtime/listing.js';

/** `veloready functions list`: what serve would run here, read without starting it. */
export function runFunctionsList(ctx: CommandContext, clock: Clock = systemClock, cwd = process.cwd()): void {
  const { opts, out } = ctx;
  const builtins = opts.builtins === undefined || opts.builtins === 'all' ? FUNCTIONS : opts.builtins === 'none' ? [] : undefined;
  if (!builtins) throw usageError('INVALID_BUILTINS', `--builtins must be all or none, not "${String(opts.builtins)}"`);
  const functionsDir = opts.functions as string | undefined;
  if (functionsDir && !existsSync(resolve(cwd, functionsDir))) throw usageError('FUNCTIONS_DIR_MISSING', `--functions ${functionsDir}: no such folder`, 'name the folder that holds your function files');
  const listing = listFunctions({ projectDir: cwd, ...(functionsDir ? { functionsDir } : {}), builtins, now: clock.now() });
  for (const w of listing.warnings) out.warn(w);
  out.result(
    () =>
      table(
        ['function', 'source', 'kind', 'routes', 'schedule', 'next run (UTC)'],
        listing.functions.map((f) => [f.name, f.source, f.kind, f.routes.join(' '), f.schedule ?? '', f.nextRun ?? '']),
      ),
    listing,
  );
}
