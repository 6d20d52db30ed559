import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, scratchDir } from '../helpers/cli.js';
import { migratedDataDir } from '../helpers/db.js';
import { READY_LINE, readyOf, serveUntil, stopCli, TEST_SECRET } from '../serve/helpers.js';

describe('veloready serve --clock / --export-on-exit through the CLI', () => {
  const cwd = scratchDir('vr-serve-clock-');
  let dataDir: string;
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts at the given time, is changed by veloready clock, and saves a snapshot on Ctrl-C', async () => {
    dataDir = await migratedDataDir();
    const serve = await serveUntil(cwd, ['--data-dir', dataDir, '--json', '--clock', '2026-03-01T02:30:00Z', '--export-on-exit', 'on-exit'], READY_LINE, {
      SUPABASE_JWT_SECRET: TEST_SECRET,
    });
    try {
      expect(readyOf(serve).clock).toMatch(/^2026-03-01T02:3/);
      const frozen = await runCli(['clock', 'freeze', '--json', '--data-dir', dataDir]);
      expect(frozen.exitCode).toBe(0);
      const at = JSON.parse(frozen.stdout).clock.now as string;
      expect(at).toMatch(/^2026-03-01T02:3/);
      const set = await runCli(['clock', 'set', '2026-04-01T00:00:00Z', '--json', '--data-dir', dataDir]);
      expect(JSON.parse(set.stdout).clock).toMatchObject({ now: '2026-04-01T00:00:00.000Z', frozen: true });
      // Kept in the data dir for the next start.
      expect(JSON.parse(readFileSync(join(dataDir, 'clock.json'), 'utf8'))).toMatchObject({ frozen: true, atMs: Date.parse('2026-04-01T00:00:00Z') });
    } finally {
      expect(await stopCli(serve)).toBe(0);
    }
    expect(existsSync(join(dataDir, 'snapshots', 'on-exit.tar.gz'))).toBe(true);
    const ls = await runCli(['snapshot', 'ls', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(ls.stdout).snapshots[0]).toMatchObject({ name: 'on-exit', manifest: { clock: { atMs: Date.parse('2026-04-01T00:00:00Z'), frozen: true } } });
  }, 240_000);
});
