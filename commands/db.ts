import { Option, type Command } from 'commander';
import { commandContext, type CommandContext } from '../src/cli/context.js';
import { examples, MIGRATIONS_DIR_FLAG as DIR_FLAG, MIGRATIONS_DIR_HELP as DIR_HELP } from '../src/cli/help.js';
import { DEFAULT_DATA_DIR } from '../src/config/settings.js';
import type { ResolvedMigrationsDir } from '../src/db/migrations-dir.js';
import type { Sql } from '../src/db/sql.js';

const DB_URL_FLAG = '--db-url <url>';
const DB_URL_HELP = 'Postgres / Supabase connection string (default: DATABASE_URL, else the embedded database)';
const DEFAULT_TESTS_DIR = 'supabase/tests';

/** The migrations folder of every db command (one resolution, shared with serve), said on stderr. */
async function migrationsDir(ctx: CommandContext): Promise<ResolvedMigrationsDir> {
  const { resolveMigrationsDir, describeMigrationsDir, migrationsDirOptions } = await import('../src/db/migrations-dir.js');
  const resolved = resolveMigrationsDir(migrationsDirOptions(ctx.config));
  ctx.out.info(describeMigrationsDir(resolved));
  return resolved;
}

const dataDirOf = (ctx: CommandContext): string => ctx.config.get('dataDir') ?? DEFAULT_DATA_DIR;

/** Opens the command's database and says which one it is (password redacted) on stderr. */
async function withDatabase<T>(ctx: CommandContext, fn: (sql: Sql) => Promise<T>): Promise<T> {
  const { openDatabase } = await import('../src/db/open.js');
  const sql = await openDatabase({ dbUrl: ctx.config.get('databaseUrl'), dataDir: dataDirOf(ctx) });
  ctx.out.info(`database: ${sql.target.label}`);
  await warnServeOnServer(ctx);
  try {
    return await fn(sql);
  } finally {
    await sql.close();
  }
}

/** A serve of this data dir on a server (--db-url) is not what an embedded-database command reads: say so. */
async function warnServeOnServer(ctx: CommandContext): Promise<void> {
  if (ctx.config.get('databaseUrl')) return;
  const { serveOnServer } = await import('../src/db/open.js');
  const note = serveOnServer(dataDirOf(ctx));
  if (note) ctx.out.warn(note);
}

/** Where `db new` and `db diff --write` create files: never inside the installed package (said on stderr). */
async function writableDir(ctx: CommandContext): Promise<{ dir: string; created: boolean }> {
  const { prepareWritableMigrationsDir, describeMigrationsDir, migrationsDirOptions } = await import('../src/db/migrations-dir.js');
  const prepared = prepareWritableMigrationsDir(migrationsDirOptions(ctx.config));
  ctx.out.info(describeMigrationsDir(prepared));
  if (prepared.created) {
    ctx.out.info(
      `created folder ${prepared.dir}` +
        (prepared.copied.length > 0 ? ` with a copy of veloready's ${prepared.copied.length} shipped migrations (every command now uses this folder)` : ''),
    );
  }
  return prepared;
}

/** For read-only commands: the database if it exists; never creates the embedded one. */
async function withExistingDatabase<T>(
  ctx: CommandContext,
  fn: (sql: Sql | undefined, absentReason?: string) => Promise<T>,
  opts: { pgtap?: boolean } = {},
): Promise<T> {
  const { openExistingDatabase } = await import('../src/db/open.js');
  const opened = await openExistingDatabase({ dbUrl: ctx.config.get('databaseUrl'), dataDir: dataDirOf(ctx), pgtap: opts.pgtap ?? false });
  if ('absent' in opened) {
    ctx.out.info(`database: none (${opened.reason})`);
    return fn(undefined, opened.reason);
  }
  ctx.out.info(`database: ${opened.target.label}`);
  await warnServeOnServer(ctx);
  try {
    return await fn(opened);
  } finally {
    await opened.close();
  }
}

export function register(program: Command): void {
  const db = program
    .command('db')
    .description('migrate the schema, compare a live database with it, adopt one made by hand, and prove RLS isolation')
    .helpCommand(false)
    .addHelpText('after', examples(['veloready db migrate', 'veloready db status --json', 'veloready db diff --db-url "$DATABASE_URL"', 'veloready db test-rls --db-url "$DATABASE_URL"']));

  db.command('migrate')
    .description('apply pending migrations in order, each in its own transaction')
    .option(DB_URL_FLAG, DB_URL_HELP)
    .option(DIR_FLAG, DIR_HELP)
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
      const { ignoredMigrationFiles } = await import('../src/db/migration-files.js');
      const { dir } = await migrationsDir(ctx);
      await withDatabase(ctx, async (sql) => {
        const result = await migrate(sql, {
          dir,
          dryRun: Boolean(ctx.opts.dryRun),
          to: ctx.opts.to as string | undefined,
          allowDrift: Boolean(ctx.opts.allowDrift),
        });
        const ignored = ignoredMigrationFiles(dir);
        const verb = result.dryRun ? 'would apply' : 'applied';
        ctx.out.result(
          () => {
            const lines = result.applied.map((m) => `${verb} ${m.file}`);
            if (result.authShimApplied) lines.unshift('applied the local auth shim (auth schema, roles anon/authenticated/service_role)');
            for (const m of result.skipped) lines.push(`skipped ${m.file} (applied by a concurrent run)`);
            if (result.applied.length === 0) lines.push('nothing to migrate: the database is up to date');
            for (const f of ignored) lines.push(`ignored ${f} (not named <version>_<name>.sql)`);
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
            ignored,
          },
        );
      });
    });

  db.command('status')
    .description('show applied, pending, drifted and missing migrations (exit 1 when any is not applied)')
    .option(DB_URL_FLAG, DB_URL_HELP)
    .option(DIR_FLAG, DIR_HELP)
    .addHelpText('after', examples(['veloready db status', 'veloready db status --json --db-url "$DATABASE_URL"', 'veloready db status || echo "migrations pending"']))
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { migrationStatus, compareHistory, statusNeedsAttention } = await import('../src/db/migrate.js');
      const { ignoredMigrationFiles, listMigrationFiles } = await import('../src/db/migration-files.js');
      const { baselineSuggestion } = await import('../src/db/baseline.js');
      const { renderStatus } = await import('../src/db/status-render.js');
      const { dir } = await migrationsDir(ctx);
      await withExistingDatabase(ctx, async (sql, absentReason) => {
        const status = sql
          ? await migrationStatus(sql, dir)
          : { dir, auth: 'absent' as const, rows: compareHistory(listMigrationFiles(dir), []), ignored: ignoredMigrationFiles(dir) };
        const baseline = sql ? await baselineSuggestion(sql, dir) : undefined;
        const target = sql ? sql.target : { kind: 'embedded', label: `none: ${absentReason ?? ''}`, exists: false };
        ctx.out.result(() => renderStatus(status, baseline), {
          target,
          dir: status.dir,
          auth: status.auth,
          migrations: status.rows,
          ignored: status.ignored,
          ...(baseline ? { baseline } : {}),
        });
        if (statusNeedsAttention(status.rows)) process.exitCode = 1;
      });
    });

  db.command('new')
    .description('create an empty, correctly named migration file (never inside the installed package)')
    .argument('<name>', 'what the migration does, e.g. add_gear_table')
    .option(DIR_FLAG, 'migrations folder (default: VELOREADY_MIGRATIONS_DIR, else ./supabase/migrations, created when missing)')
    .addHelpText('after', examples(['veloready db new add_gear_table', 'veloready db new add_gear_table --dir supabase/migrations']))
    .action(async (name: string, _o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { createMigrationFile } = await import('../src/db/new-migration.js');
      const target = await writableDir(ctx);
      const path = createMigrationFile(target.dir, name, new Date());
      ctx.out.result(`created ${path}`, { path, dir: target.dir, createdDir: target.created });
    });

  db.command('repair')
    .description('mark one migration applied or reverted without running it (recorded with who and when)')
    .argument('<version>', 'the migration version, e.g. 20260101000100')
    .addOption(new Option('--status <status>', 'applied: record the file as it is now (clears drift); reverted: forget it').choices(['applied', 'reverted']).makeOptionMandatory())
    .option(DB_URL_FLAG, DB_URL_HELP)
    .option(DIR_FLAG, DIR_HELP)
    .addHelpText('after', examples(['veloready db repair --status applied 20260101000100', 'veloready db repair --status reverted 20260101000300 --db-url "$DATABASE_URL"']))
    .action(async (version: string, _o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { repairMigration } = await import('../src/db/repair.js');
      const { dir } = await migrationsDir(ctx);
      // A missing embedded database is not created: there is no history in it to repair.
      await withExistingDatabase(ctx, async (sql, absentReason) => {
        if (!sql) {
          const { VeloError } = await import('../src/errors.js');
          throw new VeloError('DB_NOT_FOUND', `Nothing to repair: ${absentReason ?? 'no database'}.`, 'Run `veloready db migrate` (or `veloready serve`) first, or pass --db-url.');
        }
        const result = await repairMigration(sql, { dir, version, status: ctx.opts.status as 'applied' | 'reverted' });
        ctx.out.result(
          `marked ${result.version}_${result.name} ${result.status} (was ${result.before}), recorded as done by ${result.by}`,
          { target: sql.target, dir, ...result },
        );
      });
    });

  db.command('reset')
    .description('drop everything the migrations made, migrate again and seed the demo athlete (embedded, or a non-production --db-url)')
    .option(DB_URL_FLAG, DB_URL_HELP)
    .option(DIR_FLAG, DIR_HELP)
    .option('--no-seed', 'leave the database empty after migrating')
    .option('--yes-i-mean-it', 'reset even a URL that looks like a managed (production) database')
    .addHelpText('after', examples(['veloready db reset', 'veloready db reset --db-url postgres://postgres@127.0.0.1:5432/scratch', 'veloready db reset --no-seed --json']))
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { refuseProductionUrl, removeEmbeddedDatabase, dropMigratedObjects } = await import('../src/db/reset.js');
      const { migrate } = await import('../src/db/migrate.js');
      const dbUrl = ctx.config.get('databaseUrl');
      if (dbUrl) refuseProductionUrl(dbUrl, Boolean(ctx.opts.yesIMeanIt));
      else removeEmbeddedDatabase(dataDirOf(ctx));
      const { dir } = await migrationsDir(ctx);
      await withDatabase(ctx, async (sql) => {
        if (dbUrl) await sql.transaction((tx) => dropMigratedObjects(tx));
        const result = await migrate(sql, { dir });
        let seeded: { athletes: number; activities: number } | undefined;
        if (ctx.opts.seed !== false) {
          const { ensureDemoData } = await import('../src/serve/demo-data.js');
          const { systemClock } = await import('../src/clock.js');
          const done = await ensureDemoData(sql, { seed: '42', clock: systemClock });
          seeded = done ? { athletes: done.inserted.athletes, activities: done.inserted.activities } : undefined;
        }
        ctx.out.result(
          [
            `dropped and migrated: ${result.applied.length} migration${result.applied.length === 1 ? '' : 's'} applied`,
            seeded ? `seeded ${seeded.athletes} athlete(s), ${seeded.activities} activities` : 'not seeded (--no-seed)',
          ].join('\n'),
          { target: sql.target, dir, applied: result.applied.map((m) => m.file), seeded: seeded ?? null },
        );
      });
    });

  db.command('diff')
    .description('compare the database with what the migrations create (exit 1 when they differ)')
    .option(DB_URL_FLAG, DB_URL_HELP)
    .option(DIR_FLAG, DIR_HELP)
    .option('--write <name>', 'create a migration with the SQL that makes the migrations match the database, where that is mechanical')
    .addHelpText(
      'after',
      examples(['veloready db diff', 'veloready db diff --db-url "$DATABASE_URL" --json', 'veloready db diff --db-url "$DATABASE_URL" --write dashboard_changes']),
    )
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { diffAgainstMigrations } = await import('../src/db/diff/diff.js');
      const { renderDifferences } = await import('../src/db/diff/render.js');
      const { differenceId } = await import('../src/db/diff/compare.js');
      const { dir } = await migrationsDir(ctx);
      const writeName = ctx.opts.write as string | undefined;
      if (writeName !== undefined) {
        const { normalizeMigrationName } = await import('../src/db/new-migration.js');
        normalizeMigrationName(writeName);
      }
      await withExistingDatabase(ctx, async (sql, absentReason) => {
        if (!sql) {
          const { VeloError } = await import('../src/errors.js');
          throw new VeloError('DB_NOT_FOUND', `Nothing to compare: ${absentReason ?? 'no database'}.`, 'Pass --db-url, or run `veloready db migrate` first.');
        }
        const result = await diffAgainstMigrations(sql, { dir });
        let written: { path: string; statements: string[]; manual: string[] } | undefined;
        if (writeName !== undefined && result.differences.length > 0) {
          const { writeDifferencesMigration } = await import('../src/db/diff/write.js');
          const target = await writableDir(ctx);
          const w = writeDifferencesMigration(target.dir, writeName, result.differences, sql.target.label, new Date());
          written = { path: w.path, statements: w.written.map(differenceId), manual: w.manual.map(differenceId) };
        }
        ctx.out.result(
          () => {
            const lines = [renderDifferences(result.differences, { dir, target: sql.target.label })];
            if (written) {
              lines.push('', `wrote ${written.path}: ${written.statements.length} mechanical change(s)`);
              if (written.manual.length > 0) lines.push(`needs a hand-written change (listed in the file):`, ...written.manual.map((m) => `  ${m}`));
            } else if (writeName !== undefined) lines.push('', 'nothing to write');
            return lines.join('\n');
          },
          { target: sql.target, dir, equal: result.differences.length === 0, differences: result.differences, ...(written ? { written } : {}) },
        );
        if (result.differences.length > 0) process.exitCode = 1;
      });
    });

  db.command('baseline')
    .description('adopt a database made another way: record migrations up to VERSION as applied, after checking its schema matches')
    .requiredOption('--to <version>', 'the last migration the database already has')
    .option(DB_URL_FLAG, DB_URL_HELP)
    .option(DIR_FLAG, DIR_HELP)
    .option('--force', 'record even when the schema differs (the differences are printed)')
    .addHelpText('after', examples(['veloready db status --db-url "$DATABASE_URL"   # suggests the version', 'veloready db baseline --to 20260101000300 --db-url "$DATABASE_URL"']))
    .action(async (_o, cmd: Command) => {
      const ctx = await commandContext(cmd);
      const { baseline } = await import('../src/db/baseline.js');
      const { renderDifferences } = await import('../src/db/diff/render.js');
      const { dir } = await migrationsDir(ctx);
      await withExistingDatabase(ctx, async (sql, absentReason) => {
        if (!sql) {
          const { VeloError } = await import('../src/errors.js');
          throw new VeloError('DB_NOT_FOUND', `Nothing to adopt: ${absentReason ?? 'no database'}.`, 'Pass --db-url (or set DATABASE_URL).');
        }
        const result = await baseline(sql, { dir, to: ctx.opts.to as string, force: Boolean(ctx.opts.force) });
        ctx.out.result(
          () => {
            const lines: string[] = [];
            if (result.differences.length > 0) lines.push(renderDifferences(result.differences, { dir: `${dir} (up to ${result.to})`, target: sql.target.label }), '');
            if (result.refused) lines.push(`baseline refused: the schema differs from what the migrations up to ${result.to} create; nothing recorded (fix the differences, or --force)`);
            else {
              if (result.forced) lines.push(`--force: recording despite ${result.differences.length} difference(s)`);
              lines.push(...result.recorded.map((m) => `recorded ${m.file} as applied (not run)`));
              if (result.alreadyRecorded.length > 0) lines.push(`already recorded: ${result.alreadyRecorded.join(', ')}`);
              if (result.recorded.length === 0) lines.push('nothing to record');
            }
            return lines.join('\n');
          },
          {
            target: sql.target,
            dir,
            to: result.to,
            refused: result.refused,
            forced: result.forced,
            recorded: result.recorded.map((m) => ({ version: m.version, name: m.name, file: m.file })),
            alreadyRecorded: result.alreadyRecorded,
            differences: result.differences,
          },
        );
        if (result.refused) process.exitCode = 1;
      });
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
      // Like status and diff: a missing embedded database is not created (an empty one proves nothing).
      await withExistingDatabase(ctx, async (sql, absentReason) => {
        if (!sql) {
          const { VeloError } = await import('../src/errors.js');
          throw new VeloError('DB_NOT_FOUND', `Nothing to test: ${absentReason ?? 'no database'}.`, 'Run `veloready db migrate` (or `veloready serve`) first, or pass --db-url.');
        }
        const report = await runRlsTests(sql, { testsDir });
        ctx.out.result(() => renderRlsReport(report), { target: sql.target, ...report });
        if (!report.passed) process.exitCode = 1;
      }, { pgtap: true });
    });
}
