import type { Command } from 'commander';
import { commandContext, type CommandContext } from '../src/cli/context.js';
import { examples } from '../src/cli/help.js';
import { DEFAULT_DATA_DIR } from '../src/config/settings.js';
import type { Sql } from '../src/db/sql.js';

const DB_URL_FLAG = '--db-url <url>';
const DB_URL_HELP = 'Postgres / Supabase connection string (default: DATABASE_URL, else the embedded database)';
const DEFAULT_TESTS_DIR = 'supabase/tests';

/** Opens the command's database and says which one it is (password redacted) on stderr. */
async function withDatabase<T>(ctx: CommandContext, fn: (sql: Sql) => Promise<T>, opts: { pgtap?: boolean } = {}): Promise<T> {
  const { openDatabase } = await import('../src/db/open.js');
  const sql = await openDatabase({ dbUrl: ctx.config.get('databaseUrl'), dataDir: ctx.config.get('dataDir') ?? DEFAULT_DATA_DIR, pgtap: opts.pgtap ?? false });
  ctx.out.info(`database: ${sql.target.label}`);
  try {
    return await fn(sql);
  } finally {
    await sql.close();
  }
}

export function register(program: Command): void {
  const db = program
    .command('db')
    .description('migrate the VeloReady schema, show its status, and prove RLS isolation')
    .helpCommand(false)
    .addHelpText('after', examples(['veloready db migrate', 'veloready db status --json', 'veloready db test-rls --db-url "$DATABASE_URL"']));

  db.command('migrate')
    .description('apply pending migrations in order, each in its own transaction')
    .option(DB_URL_FLAG, DB_URL_HELP)
    .option('--dir <dir>', 'migrations folder (default: the shipped VeloReady schema)')
    .option('--dry-run', 'list what would run; change nothing')
    .option('--to <version>', 'stop after this version')
    .option('--allow-drift', 'run even when applied files changed or are missing')
    .addHelpText(
      'after',
      examples([
        'veloready db migrate',
        'veloready db migrate --dry-run',
        'veloready db migrate --db-url postgres://postgres@127.0.0.1:5432/app --to 20260101000100',
        'veloready db migrate --dir supabase/migrations',
      ]),
    )
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { migrate } = await import('../src/db/migrate.js');
      await withDatabase(ctx, async (sql) => {
        const result = await migrate(sql, {
          dir: ctx.opts.dir as string | undefined,
          dryRun: Boolean(ctx.opts.dryRun),
          to: ctx.opts.to as string | undefined,
          allowDrift: Boolean(ctx.opts.allowDrift),
        });
        const verb = result.dryRun ? 'would apply' : 'applied';
        ctx.out.result(
          () => {
            const lines = result.applied.map((m) => `${verb} ${m.file}`);
            if (result.authShimApplied) lines.unshift('applied the local auth shim (auth schema, roles anon/authenticated/service_role)');
            for (const m of result.skipped) lines.push(`skipped ${m.file} (applied by a concurrent run)`);
            if (result.applied.length === 0) lines.push('nothing to migrate: the database is up to date');
            return lines.join('\n');
          },
          {
            target: sql.target,
            dir: result.dir,
            dryRun: result.dryRun,
            auth: result.auth,
            authShimApplied: result.authShimApplied,
            applied: result.applied.map((m) => ({ version: m.version, name: m.name, file: m.file, checksum: m.checksum })),
            skipped: result.skipped.map((m) => m.file),
          },
        );
      });
    });

  db.command('status')
    .description('show applied, pending, drifted and missing migrations')
    .option(DB_URL_FLAG, DB_URL_HELP)
    .option('--dir <dir>', 'migrations folder (default: the shipped VeloReady schema)')
    .addHelpText('after', examples(['veloready db status', 'veloready db status --json --db-url "$DATABASE_URL"']))
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { migrationStatus } = await import('../src/db/migrate.js');
      const { table } = await import('../src/cli/output.js');
      await withDatabase(ctx, async (sql) => {
        const status = await migrationStatus(sql, ctx.opts.dir as string | undefined);
        ctx.out.result(
          () =>
            status.rows.length === 0
              ? `no migrations in ${status.dir}`
              : table(
                  ['VERSION', 'NAME', 'STATE', 'APPLIED AT'],
                  status.rows.map((r) => [r.version, r.name, r.state, r.appliedAt ?? '']),
                ),
          { target: sql.target, dir: status.dir, auth: status.auth, migrations: status.rows },
        );
      });
    });

  db.command('new')
    .description('create an empty, correctly named migration file')
    .argument('<name>', 'what the migration does, e.g. add_gear_table')
    .option('--dir <dir>', 'migrations folder (default: the shipped VeloReady schema)')
    .addHelpText('after', examples(['veloready db new add_gear_table', 'veloready db new add_gear_table --dir supabase/migrations']))
    .action(async (name: string, _o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { createMigrationFile } = await import('../src/db/new-migration.js');
      const { defaultMigrationsDir } = await import('../src/db/paths.js');
      const path = createMigrationFile((ctx.opts.dir as string | undefined) ?? defaultMigrationsDir(), name, new Date());
      ctx.out.result(`created ${path}`, { path });
    });

  db.command('test-rls')
    .description('prove tenant isolation on every public table, and run SQL/pgTAP tests; all rolled back')
    .option(DB_URL_FLAG, DB_URL_HELP)
    .option('--tests <dir>', `hand-written SQL / pgTAP tests (default: ${DEFAULT_TESTS_DIR} when present)`)
    .addHelpText(
      'after',
      examples(['veloready db test-rls', 'veloready db test-rls --db-url "$DATABASE_URL" --json', 'veloready db test-rls --tests supabase/tests']),
    )
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { existsSync, statSync } = await import('node:fs');
      const { runRlsTests, renderRlsReport } = await import('../src/db/test-rls.js');
      const testsDir = (ctx.opts.tests as string | undefined) ?? (existsSync(DEFAULT_TESTS_DIR) ? DEFAULT_TESTS_DIR : undefined);
      if (testsDir !== undefined && !statSync(testsDir, { throwIfNoEntry: false })?.isDirectory()) {
        const { usageError } = await import('../src/errors.js');
        throw usageError('TESTS_DIR_MISSING', `--tests ${testsDir}: no such folder.`, 'Point --tests at a folder of .sql files.');
      }
      await withDatabase(ctx, async (sql) => {
        const report = await runRlsTests(sql, { testsDir });
        ctx.out.result(() => renderRlsReport(report), { target: sql.target, ...report });
        if (!report.passed) process.exitCode = 1;
      }, { pgtap: true });
    });
}
