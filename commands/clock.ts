import type { Command } from 'commander';
import { commandContext, type CommandContext } from '../src/cli/context.js';
import { examples } from '../src/cli/help.js';
import { formatDuration } from '../src/util/duration.js';

type ClockBody = { action: 'set'; time: string } | { action: 'advance'; by: string } | { action: 'freeze' } | { action: 'resume' };

export function register(program: Command): void {
  const clock = program
    .command('clock')
    .description("show or change a running serve's virtual clock (token expiry, cache TTLs, the scheduler all follow it)")
    .addHelpText(
      'after',
      examples([
        'veloready clock',
        'veloready clock advance 2h',
        'veloready clock set 2026-03-01T02:59:00Z',
        'veloready clock set +3d',
        'veloready clock freeze --json',
      ]),
    )
    .action(async (_o, cmd: Command) => run(await commandContext(cmd)));

  clock
    .command('set')
    .description('jump to a time: ISO, a shift from now (+3d, -2h), or "now" (back to real time)')
    .argument('<time>', 'e.g. 2026-03-01T09:00:00Z, +3d, -2h, now')
    .addHelpText('after', examples(['veloready clock set 2026-03-01T02:59:00Z', 'veloready clock set now']))
    .action(async (time: string, _o, cmd: Command) => run(await commandContext(cmd), { action: 'set', time }));
  clock
    .command('advance')
    .description('move forward (scheduled functions whose times are passed run, in order)')
    .argument('<duration>', 'e.g. 90s, 2h, 1d, 2w')
    .addHelpText('after', examples(['veloready clock advance 2h', 'veloready clock advance 1d --json']))
    .action(async (by: string, _o, cmd: Command) => run(await commandContext(cmd), { action: 'advance', by }));
  clock
    .command('freeze')
    .description('stop the clock where it is')
    .addHelpText('after', examples(['veloready clock freeze']))
    .action(async (_o, cmd: Command) => run(await commandContext(cmd), { action: 'freeze' }));
  clock
    .command('resume')
    .description('let time flow again from the frozen instant')
    .addHelpText('after', examples(['veloready clock resume']))
    .action(async (_o, cmd: Command) => run(await commandContext(cmd), { action: 'resume' }));
}

async function run(ctx: CommandContext, change?: ClockBody): Promise<void> {
  const [{ requireRunningServe, callAdmin }, { CLOCK_API_PATH }, { parseSignedDurationMs, parseTimeSpec }] = await Promise.all([
    import('../src/control/client.js'),
    import('../src/control/clock-api.js'),
    import('../src/clock/time-spec.js'),
  ]);
  // Bad input is a usage error here, before asking serve.
  if (change?.action === 'set') parseTimeSpec(change.time, Date.now());
  if (change?.action === 'advance') parseSignedDurationMs(change.by);
  const serve = requireRunningServe(ctx.config.get('dataDir')!);
  const answer = await callAdmin<import('../src/control/clock-api.js').ClockAnswer>(serve, change ? 'POST' : 'GET', CLOCK_API_PATH, change);
  const { clock, ran } = answer;
  ctx.out.result(() => {
    const lines = [`${clock.now}${clock.frozen ? ' (frozen)' : ''}`];
    if (Math.abs(clock.offsetMs) >= 1000) lines.push(`real time ${clock.real} (virtual ${clock.offsetMs > 0 ? 'ahead' : 'behind'} by ${formatDuration(Math.abs(clock.offsetMs) / 1000)})`);
    if (ran.length) lines.push(`ran ${ran.length} scheduled run${ran.length === 1 ? '' : 's'}: ${summarize(ran.map((r) => r.function))}`);
    return lines.join('\n');
  }, answer);
}

function summarize(names: string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([n, c]) => `${n} ×${c}`).join(', ');
}
