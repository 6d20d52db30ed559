import type { CommandContext } from '../cli/context.js';
import { table } from '../cli/output.js';
import { systemClock, type Clock } from '../clock.js';
import { defaultNetlifyTomlPath, netlifyTomlPath } from '../emulator/redirects.js';
import { EXIT_FAILURE, VeloError } from '../errors.js';
import { FUNCTIONS } from '../functions/index.js';
import { listFunctions as listProjectFunctions } from '../runtime/listing.js';
import { operatorToken, credentialError } from './credentials.js';
import { followJob, isFinished, tokenRejection } from './jobs.js';
import { siteClientFor, siteTarget, targetLine } from './target.js';

export interface FunctionListing {
  name: string;
  kind: string;
  schedule: string | null;
  nextRun: string | null;
  routes: string[];
}

/**
 * The functions serve runs, with the schedules and routes of a netlify.toml (the one serve honours
 * in this folder by default) and their next runs (UTC).
 */
export function listFunctions(now: number, cwd = process.cwd()): FunctionListing[] {
  // The project's own functions in `cwd` (serve runs them there) over the built-ins.
  return listProjectFunctions({ projectDir: cwd, builtins: FUNCTIONS, now }).functions.map((r) => ({
    name: r.name,
    kind: r.kind,
    schedule: r.schedule,
    nextRun: r.nextRun,
    routes: r.routes,
  }));
}

export function runTriggerList(ctx: CommandContext, clock: Clock = systemClock, cwd = process.cwd()): void {
  const tomlPath = netlifyTomlPath(cwd);
  ctx.out.info(`functions and schedules from ${tomlPath === defaultNetlifyTomlPath() ? 'the built-in netlify.toml' : tomlPath}`);
  const rows = listFunctions(clock.now(), cwd);
  ctx.out.result(
    () => table(['function', 'kind', 'schedule', 'next run (UTC)', 'route'], rows.map((r) => [r.name, r.kind, r.schedule ?? '', r.nextRun ?? '', r.routes[0]])),
    { netlifyToml: tomlPath, functions: rows },
  );
}

/** `veloready trigger <function>`: run it now; follow it when it is a background function. */
export async function runTrigger(ctx: CommandContext, name: string, body: unknown, clock: Clock = systemClock, cwd = process.cwd()): Promise<void> {
  const known = listFunctions(clock.now(), cwd);
  const def = known.find((f) => f.name === name);
  if (!def) {
    throw new VeloError('UNKNOWN_FUNCTION', `no function named "${name}"`, `one of: ${known.map((f) => f.name).join(', ')} (veloready trigger --list)`, 2);
  }
  const target = siteTarget(ctx);
  const url = target.url;
  ctx.out.info(targetLine(target));
  const token = ctx.opts.dryRun && ctx.opts.token === undefined ? 'dry-run' : await operatorToken(ctx, url, clock);
  const client = siteClientFor(ctx, token, clock, url);
  try {
    const started = clock.now();
    const res = await client.send<Record<string, any>>({ method: 'POST', path: `/.netlify/functions/${name}`, body: body ?? {} });
    if (res.status === 0) return;
    const rejected = credentialError(url, res.status, res.body);
    if (rejected) throw rejected;
    if (res.status === 202 && def.kind === 'background') {
      const jobId = (res.body?.jobId as string | undefined) ?? (res.headers['x-job-id'] as string | undefined);
      if (!jobId) throw new VeloError('NO_JOB_ID', `${name} answered 202 without a job id`);
      const job = await followJob(client, jobId, { clock, onUpdate: (j) => ctx.out.debug(`job ${j.id}: ${j.status}`) });
      const rejected = tokenRejection(url, [job]);
      if (rejected) throw rejected;
      ctx.out.result(`${name}: job ${job.id} ${job.status}${job.error ? ` (${job.error})` : ''}`, job.raw);
      if (!isFinished(job) || job.status === 'failed') process.exitCode = EXIT_FAILURE;
      return;
    }
    const ms = clock.now() - started;
    ctx.out.result(`${name}: ${res.status} in ${ms} ms\n${typeof res.body === 'string' ? res.body : JSON.stringify(res.body, null, 2)}`, {
      function: name,
      status: res.status,
      ms,
      body: res.body,
    });
    if (res.status >= 400) process.exitCode = EXIT_FAILURE;
  } finally {
    await client.close();
  }
}
