import { Option, type Command } from 'commander';
import { commandContext, type CommandContext } from '../src/cli/context.js';
import { examples } from '../src/cli/help.js';
import { durationSeconds, idList, positiveInt } from '../src/cli/parsers.js';
import { InvalidArgumentError } from 'commander';
import { VeloError } from '../src/errors.js';

const TARGETS = ['local', 'netlify'];
const KINDS = ['activities', 'streams', 'brief'];

function kindList(value: string): string[] {
  const kinds = value.split(',').map((k) => k.trim()).filter(Boolean);
  if (kinds.length === 0 || kinds.some((k) => !KINDS.includes(k))) throw new InvalidArgumentError(`expected some of ${KINDS.join(',')}.`);
  return [...new Set(kinds)];
}

function addTargetOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--target <target>', 'where the cache lives').choices(TARGETS).default('local'))
    .option('--api-url <url>', 'Netlify API base URL (--target netlify)');
}

/** Opens the chosen backend and announces it (stderr, or a field under --json). */
async function openTarget(ctx: CommandContext) {
  const { openBlobsTarget } = await import('../src/blobs/target.js');
  const blobs = await openBlobsTarget({
    target: String(ctx.opts.target ?? 'local'),
    dataDir: dataDirOf(ctx),
    siteID: ctx.config.get('netlifySiteId'),
    token: ctx.config.get('netlifyAuthToken'),
    apiURL: ctx.config.get('netlifyApiUrl'),
  });
  if (!ctx.out.json) ctx.out.info(ctx.out.color.dim(`target: ${blobs.target}`));
  return blobs;
}

/** `--athlete N` as a selector: briefs are keyed by the athlete's user id, read from the database when one answers. */
async function athleteSelector(ctx: CommandContext): Promise<{ athleteId?: number; athleteUserId?: string }> {
  const athleteId = ctx.opts.athlete as number | undefined;
  const kind = ctx.opts.kind as string | undefined;
  if (athleteId === undefined || (kind !== undefined && kind !== 'brief')) return { athleteId };
  const { resolveAthleteUserId } = await import('../src/cache/athlete-user.js');
  const dbUrl = ctx.config.get('databaseUrl');
  const resolved = await resolveAthleteUserId(athleteId, { ...(dbUrl ? { dbUrl } : {}), dataDir: dataDirOf(ctx) });
  if (resolved.notice) ctx.out.warn(resolved.notice);
  return { athleteId, athleteUserId: resolved.userId };
}

const dataDirOf = (ctx: CommandContext): string => ctx.config.get('dataDir') ?? '.veloready';
const UNKNOWN = '—';
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export function register(program: Command): void {
  const cache = program
    .command('cache')
    .description('list, read, write, delete, purge and count cache entries (local SQLite or Netlify Blobs)')
    .addHelpText('after', examples(['veloready cache ls --athlete 104662', 'veloready cache purge --expired', 'veloready cache stats --target netlify']));

  addTargetOptions(
    cache
      .command('ls')
      .description('list cache keys with size, age and expiry')
      .option('--store <name>', 'one store (default: every store)')
      .option('--prefix <prefix>', 'keys starting with this')
      .option('--athlete <id>', "one athlete's keys (activities, streams, briefs)", positiveInt)
      .option('--db-url <url>', "database to read --athlete's user id from (briefs are keyed by it)")
      .addOption(new Option('--kind <kind>', 'one kind of key').choices(KINDS)),
  )
    .addHelpText('after', examples(['veloready cache ls', 'veloready cache ls --athlete 104662 --json', 'veloready cache ls --prefix streams: --target netlify']))
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const blobs = await openTarget(ctx);
      try {
        const athlete = await athleteSelector(ctx);
        const { listCache } = await import('../src/blobs/cache-admin.js');
        const { table, formatBytes } = await import('../src/cli/output.js');
        const { formatDuration } = await import('../src/util/duration.js');
        const now = Date.now();
        const entries = await listCache(
          blobs,
          { store: ctx.opts.store as string | undefined, prefix: ctx.opts.prefix as string | undefined, kind: ctx.opts.kind as never, ...athlete },
          now,
        );
        const unknownAge = entries.filter((e) => e.updatedAt === null).length;
        ctx.out.result(
          () =>
            entries.length === 0
              ? 'no keys'
              : table(
                  ['store', 'key', 'size', 'age', 'expires'],
                  entries.map((e) => [
                    e.store,
                    e.key,
                    formatBytes(e.size),
                    e.updatedAt === null ? UNKNOWN : formatDuration((now - e.updatedAt) / 1000),
                    e.expiresAt === null ? 'never' : e.expired ? 'expired' : `in ${formatDuration((e.expiresAt - now) / 1000)}`,
                  ]),
                ) +
                `\n${entries.length} key(s)` +
                (unknownAge > 0 ? `\n${UNKNOWN} the server did not say when ${unknownAge} key(s) were written: their age is unknown` : ''),
          {
            target: blobs.target,
            keys: entries.map((e) => ({ ...e, updatedAt: isoOrNull(e.updatedAt), expiresAt: isoOrNull(e.expiresAt) })),
          },
        );
      } finally {
        await blobs.close();
      }
    });

  addTargetOptions(
    cache
      .command('get')
      .description('print one entry: its value (JSON pretty-printed) and metadata')
      .argument('<key>', 'the cache key, e.g. activities:104662')
      .option('--store <name>', 'store name (default: veloready-cache)'),
  )
    .addHelpText('after', examples(['veloready cache get activities:104662', 'veloready cache get streams:104662:9001 --json']))
    .action(async (key: string, _o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const blobs = await openTarget(ctx);
      try {
        const { getCacheEntry } = await import('../src/blobs/cache-admin.js');
        const { CACHE_STORE } = await import('../src/cache/keys.js');
        const entry = await getCacheEntry(blobs, key, (ctx.opts.store as string | undefined) ?? CACHE_STORE);
        const pretty = entry.isJson
          ? JSON.stringify(entry.value, null, process.stdout.isTTY ? 2 : undefined)
          : String(entry.value);
        if (!ctx.out.json) ctx.out.info(ctx.out.color.dim(`etag ${entry.etag} · ${entry.size} bytes · metadata ${JSON.stringify(entry.metadata)}`));
        ctx.out.result(pretty, { target: blobs.target, ...entry });
      } finally {
        await blobs.close();
      }
    });

  addTargetOptions(
    cache
      .command('set')
      .description('write one entry (a function-cache key is stored as the functions store it, so they serve it)')
      .argument('<key>', 'the cache key, e.g. activities:104662')
      .argument('<value>', 'the value: JSON for the functions\' keys, any text otherwise')
      .option('--ttl <duration>', 'expire after this long, e.g. 30m, 1h (default: the kind\'s TTL for function-cache keys, else never)', durationSeconds)
      .option('--store <name>', 'store name (default: veloready-cache)'),
  )
    .addHelpText(
      'after',
      examples([
        'veloready cache set activities:104662 \'{"activities":[]}\' --ttl 10m',
        'veloready cache set feature-flags \'{"beta":true}\' --store settings',
        'veloready cache set activities:104662 \'{"activities":[]}\' --target netlify',
      ]),
    )
    .action(async (key: string, value: string, _o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const blobs = await openTarget(ctx);
      try {
        const { setCacheEntry } = await import('../src/blobs/cache-write.js');
        const { formatBytes } = await import('../src/cli/output.js');
        const written = await setCacheEntry(blobs, { key, value, store: ctx.opts.store as string | undefined, ttlSeconds: ctx.opts.ttl as number | undefined, now: Date.now() });
        ctx.out.result(
          `set ${written.store}  ${written.key}  ${formatBytes(written.bytes)}  ${written.expiresAt === null ? 'never expires' : `expires ${new Date(written.expiresAt).toISOString()}`}`,
          { target: blobs.target, ...written, expiresAt: isoOrNull(written.expiresAt) },
        );
      } finally {
        await blobs.close();
      }
    });

  addTargetOptions(
    cache
      .command('rm')
      .description('delete one entry by key')
      .argument('<key>', 'the cache key, e.g. activities:104662')
      .option('--store <name>', 'store name (default: veloready-cache)'),
  )
    .addHelpText('after', examples(['veloready cache rm activities:104662', 'veloready cache rm streams:104662:9001 --target netlify --json']))
    .action(async (key: string, _o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const blobs = await openTarget(ctx);
      try {
        const { deleteCacheEntry } = await import('../src/blobs/cache-write.js');
        const { CACHE_STORE } = await import('../src/cache/keys.js');
        const removed = await deleteCacheEntry(blobs, key, (ctx.opts.store as string | undefined) ?? CACHE_STORE);
        ctx.out.result(`removed ${removed.store}  ${removed.key}`, { target: blobs.target, removed: 1, ...removed });
      } finally {
        await blobs.close();
      }
    });

  addTargetOptions(
    cache
      .command('purge')
      .description('delete cache entries by athlete, kind, prefix, expiry or age')
      .option('--store <name>', 'store name (default: veloready-cache)')
      .option('--athlete <id>', "every key of this athlete (activities, streams, briefs)", positiveInt)
      .option('--db-url <url>', "database to read --athlete's user id from (briefs are keyed by it)")
      .addOption(new Option('--kind <kind>', 'one kind of key').choices(KINDS))
      .option('--prefix <prefix>', 'keys starting with this')
      .option('--expired', 'entries past their expiry')
      .option('--older-than <duration>', 'entries written longer ago than this, e.g. 7d', durationSeconds)
      .option('--all', 'everything in the store (asks on a terminal; needs --yes otherwise)')
      .option('--yes', 'do not ask for confirmation')
      .option('--dry-run', 'list what would go, delete nothing'),
  )
    .addHelpText(
      'after',
      examples([
        'veloready cache purge --athlete 104662',
        'veloready cache purge --kind streams --older-than 7d --dry-run',
        'veloready cache purge --expired --target netlify',
        'veloready cache purge --all --yes',
      ]),
    )
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { purgeCache, validatePurge } = await import('../src/blobs/cache-admin.js');
      const { CACHE_STORE } = await import('../src/cache/keys.js');
      const options = {
        store: (ctx.opts.store as string | undefined) ?? CACHE_STORE,
        athleteId: ctx.opts.athlete as number | undefined,
        kind: ctx.opts.kind as never,
        prefix: ctx.opts.prefix as string | undefined,
        expired: Boolean(ctx.opts.expired),
        olderThanSeconds: ctx.opts.olderThan as number | undefined,
        all: Boolean(ctx.opts.all),
        dryRun: Boolean(ctx.opts.dryRun),
      };
      validatePurge(options);
      if (options.all && !options.dryRun && !ctx.opts.yes) {
        if (!process.stdin.isTTY || ctx.out.json) {
          throw new VeloError('CONFIRMATION_REQUIRED', '--all deletes every entry in the store', 'add --yes to confirm when not on a terminal', 2);
        }
        if (!(await confirm(`Delete every entry in store ${options.store}?`))) {
          throw new VeloError('ABORTED', 'nothing deleted', undefined, 1);
        }
      }
      const blobs = await openTarget(ctx);
      try {
        const { formatBytes } = await import('../src/cli/output.js');
        const result = await purgeCache(blobs, { ...options, ...(await athleteSelector(ctx)) }, Date.now());
        const verb = options.dryRun ? 'would remove' : 'removed';
        const unknownAge = result.unknownAge ?? 0;
        ctx.out.result(
          () =>
            [
              ...result.keys.map((k) => `${k.store}  ${k.key}  ${formatBytes(k.size)}`),
              `${verb} ${result.keys.length} key(s), ${formatBytes(result.bytes)}`,
              ...(unknownAge > 0 ? [`kept ${unknownAge} key(s) of unknown age: the server did not say when they were written, so --older-than cannot match them`] : []),
            ].join('\n'),
          { target: blobs.target, dryRun: options.dryRun, removed: result.keys.length, bytes: result.bytes, keys: result.keys, unknownAge },
        );
      } finally {
        await blobs.close();
      }
    });

  cache
    .command('warm')
    .description('fill a site\'s caches by calling the function API as each athlete')
    .option('--athletes <ids>', 'athletes, comma-separated', idList)
    .option('--all-athletes', 'every connected athlete in the target database')
    .option('--kinds <kinds>', 'what to warm: activities,streams,brief', kindList, ['activities', 'streams', 'brief'])
    .option('--concurrency <n>', 'athletes at once', positiveInt, 8)
    .option('--url <url>', 'site URL (default: VELOREADY_API_URL, else the running serve of --data-dir, else http://127.0.0.1:8888)')
    .option('--secret <secret>', 'the site\'s JWT secret (default: SUPABASE_JWT_SECRET)')
    .option('--db-url <url>', 'database to list --all-athletes from')
    .option('--dry-run', 'print the requests it would make')
    .addHelpText('after', examples(['veloready cache warm --athletes 104662', 'veloready cache warm --all-athletes --kinds activities,brief --url https://veloready.netlify.app']))
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const [{ runCacheWarm }, { selectAthletes }] = await Promise.all([import('../src/ops/cache-warm.js'), import('../src/ops/athletes.js')]);
      await runCacheWarm(ctx, {
        athletes: await selectAthletes(ctx),
        kinds: ctx.opts.kinds as Array<'activities' | 'streams' | 'brief'>,
        concurrency: ctx.opts.concurrency as number,
      });
    });

  addTargetOptions(
    cache
      .command('stats')
      .description('per store and kind: count, bytes, expired, oldest')
      .option('--store <name>', 'one store (default: every store)'),
  )
    .addHelpText('after', examples(['veloready cache stats', 'veloready cache stats --target netlify --json']))
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const blobs = await openTarget(ctx);
      try {
        const { cacheStats } = await import('../src/blobs/cache-admin.js');
        const { table, formatBytes } = await import('../src/cli/output.js');
        const { formatDuration } = await import('../src/util/duration.js');
        const now = Date.now();
        const rows = await cacheStats(blobs, now, ctx.opts.store as string | undefined);
        ctx.out.result(
          () =>
            rows.length === 0
              ? 'cache is empty'
              : table(
                  ['store', 'kind', 'count', 'bytes', 'expired', 'oldest'],
                  rows.map((r) => [r.store, r.kind, r.count, formatBytes(r.bytes), r.expired, r.oldest === null ? UNKNOWN : `${formatDuration((now - r.oldest) / 1000)} ago`]),
                ),
          { target: blobs.target, stats: rows.map((r) => ({ ...r, oldest: isoOrNull(r.oldest) })) },
        );
      } finally {
        await blobs.close();
      }
    });
}
