import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { BIN, cliEnv, runCli } from '../helpers/cli.js';
import { startTestServe, TEST_SECRET, waitForJob, type TestServe } from '../serve/helpers.js';
import { setFakeStravaFaults } from './helpers.js';

let serve: TestServe;
let site: string[];
beforeAll(async () => {
  serve = await startTestServe();
  site = ['--url', serve.url, '--secret', TEST_SECRET];
}, 120_000);
afterAll(async () => serve?.stop());

describe('following a job', () => {
  it('Ctrl-C stops following, not the job, and says how to follow again', async () => {
    await setFakeStravaFaults(serve.url, { latencyMs: 700 });
    try {
      const child = execa('node', ['--', BIN, 'backfill', '--athlete', String(DEMO_ATHLETE_ID), ...site], { reject: false, extendEnv: false, env: cliEnv() });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      while (!/athlete \d+: (\d+% · )?page/.test(err)) {
        if (child.exitCode !== null) throw new Error(`backfill ended early: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGINT');
      const result = await child;
      expect(result.exitCode).toBe(0);
      expect(err).toContain('stopped following; the jobs keep running');
      const id = /follow again: veloready backfill status (\S+)/.exec(err)?.[1];
      expect(id).toBeTruthy();
      // The job went on without us and finishes.
      const job = await waitForJob(serve.url, id!, 60_000);
      expect(job.status).toBe('succeeded');
    } finally {
      await setFakeStravaFaults(serve.url, null);
    }
  }, 90_000);

  it('--dry-run on trigger and cache warm prints the requests and sends nothing', async () => {
    const before = serve.log.recent().length;
    const trigger = await runCli(['trigger', 'cleanup', '--dry-run', ...site]);
    expect(trigger.exitCode, trigger.stderr).toBe(0);
    expect(trigger.stdout).toContain(`would POST ${serve.url}/.netlify/functions/cleanup {}`);
    const warm = await runCli(['cache', 'warm', '--athletes', String(DEMO_ATHLETE_ID), '--kinds', 'activities,brief', '--dry-run', ...site]);
    expect(warm.exitCode, warm.stderr).toBe(0);
    expect(warm.stdout).toContain(`would GET ${serve.url}/api/activities`);
    expect(warm.stdout).toContain(`would GET ${serve.url}/api/ai-brief`);
    expect(serve.log.recent().length).toBe(before);
  });
});
