import type { Command } from 'commander';
import { commandContext, type CommandContext } from '../src/cli/context.js';
import { examples } from '../src/cli/help.js';

export function register(program: Command): void {
  const snapshot = program
    .command('snapshot')
    .description('save, share and restore the whole local state (database, blobs, JWT secret, clock) as one file')
    .addHelpText(
      'after',
      examples([
        'veloready snapshot save before-refresh-bug',
        'veloready snapshot load before-refresh-bug',
        'veloready snapshot save --file /tmp/state.tar.gz',
        'veloready snapshot ls --json',
      ]),
    );

  snapshot
    .command('save')
    .description('save the state to .veloready/snapshots/NAME.tar.gz (works while serve runs: requests wait, none fail)')
    .argument('[name]', 'letters, digits, ".", "_", "-"')
    .option('--file <path>', 'save to this file instead')
    .addHelpText('after', examples(['veloready snapshot save demo', 'veloready snapshot save --file ci/state.tar.gz --json']))
    .action(async (name: string | undefined, _o, cmd: Command) => transfer(await commandContext(cmd), 'save', name));

  snapshot
    .command('load')
    .description('replace the state with a snapshot (all or nothing; an older schema is migrated forward)')
    .argument('[name]', 'a name from snapshot ls')
    .option('--file <path>', 'load this file instead')
    .addHelpText('after', examples(['veloready snapshot load demo', 'veloready snapshot load --file ci/state.tar.gz']))
    .action(async (name: string | undefined, _o, cmd: Command) => transfer(await commandContext(cmd), 'load', name));

  snapshot
    .command('ls')
    .description('list the saved snapshots')
    .addHelpText('after', examples(['veloready snapshot ls', 'veloready snapshot ls --json']))
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { listSnapshots } = await import('../src/snapshot/snapshot.js');
      const list = await listSnapshots(dataDirOf(ctx));
      ctx.out.result(
        () =>
          list.length === 0
            ? 'no snapshots (veloready snapshot save NAME makes one)'
            : list
                .map((s) => `${s.name}  ${mb(s.bytes)}  saved ${s.manifest?.createdAt ?? s.modifiedAt}${s.manifest?.clock ? `  clock ${new Date(s.manifest.clock.atMs).toISOString()}` : ''}`)
                .join('\n'),
        { snapshots: list },
      );
    });

  snapshot
    .command('rm')
    .description('delete a saved snapshot')
    .argument('[name]', 'a name from snapshot ls')
    .option('--file <path>', 'delete this file instead')
    .addHelpText('after', examples(['veloready snapshot rm demo']))
    .action(async (name: string | undefined, _o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const [{ snapshotPath }, { removeSnapshot }] = await Promise.all([import('../src/snapshot/names.js'), import('../src/snapshot/snapshot.js')]);
      const file = snapshotPath(dataDirOf(ctx), name, ctx.opts.file as string | undefined);
      removeSnapshot(file);
      ctx.out.result(`removed ${file}`, { removed: file });
    });
}

const dataDirOf = (ctx: CommandContext): string => ctx.config.get('dataDir')!;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function transfer(ctx: CommandContext, action: 'save' | 'load', name: string | undefined): Promise<void> {
  const { resolve } = await import('node:path');
  const { snapshotPath } = await import('../src/snapshot/names.js');
  const dataDir = resolve(dataDirOf(ctx));
  const file = snapshotPath(dataDir, name, ctx.opts.file as string | undefined);
  const { runningServe, callAdmin } = await import('../src/control/client.js');
  const serve = runningServe(dataDir);
  let result: { file: string; ms: number; bytes?: number; migratedFrom?: string; migratedTo?: string };
  if (serve) {
    const { SNAPSHOTS_API_PATH } = await import('../src/control/snapshot-api.js');
    result = await callAdmin(serve, 'POST', SNAPSHOTS_API_PATH, { action, file });
  } else {
    const [{ resolveJwtSecret }, { restingState }, snapshots] = await Promise.all([
      import('../src/config/jwt-secret.js'),
      import('../src/snapshot/states.js'),
      import('../src/snapshot/snapshot.js'),
    ]);
    const state = restingState(dataDir, (await resolveJwtSecret(ctx.config)).value);
    result = action === 'save' ? await snapshots.saveSnapshot(state, file) : await snapshots.loadSnapshot(state, file);
  }
  const where = serve ? ` (serve at ${serve.url})` : '';
  ctx.out.result(() => {
    if (action === 'save') return `saved ${result.file}: ${mb(result.bytes ?? 0)} in ${result.ms} ms${where}`;
    const migrated = result.migratedFrom !== result.migratedTo ? `, migrated ${result.migratedFrom} → ${result.migratedTo}` : '';
    return `loaded ${result.file} in ${result.ms} ms${migrated}${where}`;
  }, { action, running: Boolean(serve), ...result });
}
