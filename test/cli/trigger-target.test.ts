import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeServeInfo } from '../../src/serve/serve-info.js';
import { runCli, scratchDir } from '../helpers/cli.js';

/** Above Linux's PID_MAX_LIMIT (2^22): no process ever has it. */
const DEAD_PID = 2 ** 22 + 1;
const SERVE_URL = 'http://127.0.0.1:45999';

/** A folder whose data dir records a serve at `url`, run by `pid` (this test process: alive). */
function folderWithServe(url = SERVE_URL, pid = process.pid): string {
  const cwd = scratchDir('vr-target-');
  writeServeInfo(join(cwd, '.veloready'), { pid, url, startedAt: new Date().toISOString(), database: 'embedded PGlite' });
  return cwd;
}

const wouldPost = (stdout: string) => /would POST (\S+)/.exec(stdout)?.[1];

describe('which site trigger and backfill talk to', () => {
  it('without --url or VELOREADY_API_URL: the running serve of the data dir, said on the target line', async () => {
    const cwd = folderWithServe();
    const r = await runCli(['trigger', 'cleanup', '--dry-run'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`target: ${SERVE_URL} (the running serve of .veloready)`);
    expect(wouldPost(r.stdout)).toBe(`${SERVE_URL}/.netlify/functions/cleanup`);

    const backfill = await runCli(['backfill', '--athlete', '104662', '--dry-run'], { cwd });
    expect(backfill.exitCode, backfill.stderr).toBe(0);
    expect(wouldPost(backfill.stdout)).toBe(`${SERVE_URL}/.netlify/functions/backfill-background`);
  });

  it('--data-dir names whose serve it is', async () => {
    const cwd = folderWithServe();
    const elsewhere = scratchDir('vr-target-cwd-');
    const r = await runCli(['--data-dir', join(cwd, '.veloready'), 'trigger', 'cleanup', '--dry-run'], { cwd: elsewhere });
    expect(wouldPost(r.stdout)).toBe(`${SERVE_URL}/.netlify/functions/cleanup`);
  });

  it('VELOREADY_API_URL beats the running serve, and --url beats both', async () => {
    const cwd = folderWithServe();
    const env = { VELOREADY_API_URL: 'https://env.example.org' };
    const fromEnv = await runCli(['trigger', 'cleanup', '--dry-run'], { cwd, env });
    expect(wouldPost(fromEnv.stdout)).toBe('https://env.example.org/.netlify/functions/cleanup');
    expect(fromEnv.stderr).toContain('target: https://env.example.org (VELOREADY_API_URL)');
    const fromFlag = await runCli(['trigger', 'cleanup', '--dry-run', '--url', 'https://flag.example.org'], { cwd, env });
    expect(wouldPost(fromFlag.stdout)).toBe('https://flag.example.org/.netlify/functions/cleanup');
    expect(fromFlag.stderr).toContain('target: https://flag.example.org (--url)');
  });

  it('a serve.json left by a dead process is ignored: the default address', async () => {
    const cwd = folderWithServe(SERVE_URL, DEAD_PID);
    const r = await runCli(['trigger', 'cleanup', '--dry-run'], { cwd });
    expect(wouldPost(r.stdout)).toBe('http://127.0.0.1:8888/.netlify/functions/cleanup');
    expect(r.stderr).toContain('target: http://127.0.0.1:8888 (default; no serve running for .veloready)');
  });

  it('a serve listening on every interface is reached on loopback', async () => {
    const cwd = folderWithServe('http://0.0.0.0:45998');
    const r = await runCli(['trigger', 'cleanup', '--dry-run'], { cwd });
    expect(wouldPost(r.stdout)).toBe('http://127.0.0.1:45998/.netlify/functions/cleanup');
  });
});

describe('trigger --list', () => {
  it("shows the schedules and routes of the project's own netlify.toml", async () => {
    const cwd = scratchDir('vr-list-');
    writeFileSync(
      join(cwd, 'netlify.toml'),
      ['[[redirects]]', 'from = "/v2/activities"', 'to = "/.netlify/functions/api-activities"', 'status = 200', '', '[functions."cleanup"]', 'schedule = "*/15 * * * *"', ''].join('\n'),
    );
    const r = await runCli(['--json', 'trigger', '--list'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`functions and schedules from ${join(cwd, 'netlify.toml')}`);
    const fns = JSON.parse(r.stdout).functions as Array<{ name: string; schedule: string | null; nextRun: string | null; routes: string[] }>;
    const cleanup = fns.find((f) => f.name === 'cleanup')!;
    expect(cleanup.schedule).toBe('*/15 * * * *');
    expect(new Date(cleanup.nextRun!).getUTCMinutes() % 15).toBe(0);
    // Not in this file: the built-in schedule, as serve runs it.
    expect(fns.find((f) => f.name === 'nightly-reconcile')?.schedule).toBe('0 3 * * *');
    expect(fns.find((f) => f.name === 'api-activities')?.routes).toEqual(['/v2/activities', '/.netlify/functions/api-activities']);

    const plain = await runCli(['trigger', '--list'], { cwd });
    expect(plain.stdout).toMatch(/cleanup\s+scheduled\s+\*\/15 \* \* \* \*/);
  });

  it('without a netlify.toml here, the built-in one', async () => {
    const r = await runCli(['--json', 'trigger', '--list'], { cwd: scratchDir('vr-list-') });
    expect(r.stderr).toContain('functions and schedules from the built-in netlify.toml');
    const fns = JSON.parse(r.stdout).functions as Array<{ name: string; schedule: string | null; routes: string[] }>;
    expect(fns.find((f) => f.name === 'cleanup')?.schedule).toBe('@hourly');
    expect(fns.find((f) => f.name === 'api-activities')?.routes[0]).toBe('/api/activities');
  });

  it('a netlify.toml with a broken schedule is one error line and exit 1', async () => {
    const cwd = scratchDir('vr-list-');
    writeFileSync(join(cwd, 'netlify.toml'), '[functions."cleanup"]\nschedule = "every tuesday"\n');
    const r = await runCli(['trigger', '--list'], { cwd });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('schedule "every tuesday" is not a cron expression');
  });
});

describe('a URL password never reaches the output', () => {
  it.each([
    ['trigger', ['trigger', 'cleanup']],
    ['backfill', ['backfill', '--athlete', '1']],
    ['cache warm', ['cache', 'warm', '--athletes', '1']],
  ])('%s --dry-run: the target line and the planned requests show **** instead of the password', async (_name, args) => {
    const r = await runCli([...args, '--dry-run', '--url', 'http://op:s3cret-pw@127.0.0.1:45999', '--secret', 'a-local-secret-0123456789abcdef0123']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('target: http://op:****@127.0.0.1:45999');
    expect(r.stdout + r.stderr).not.toContain('s3cret-pw');
  });
});
