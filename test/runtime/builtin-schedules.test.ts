import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServe, type TestServe } from '../serve/helpers.js';
import { eventually } from './helpers.js';

// A site with no functions of its own: only a netlify.toml giving veloready's built-in cleanup a schedule.
let site: string;
let serve: TestServe;
const toml = (cleanup?: string) => (cleanup ? `[functions."cleanup"]\n  schedule = "${cleanup}"\n` : '# no schedules\n');

beforeAll(async () => {
  site = mkdtempSync(join(tmpdir(), 'vr-site-schedules-'));
  writeFileSync(join(site, 'netlify.toml'), toml('@daily'));
  serve = await startTestServe({ cwd: site });
});

afterAll(async () => {
  await serve?.stop();
  rmSync(site, { recursive: true, force: true });
});

const planned = (name: string) => serve.scheduler.nextRuns().find((r) => r.function === name)?.schedule;

describe("built-in scheduled functions follow the project's netlify.toml", () => {
  it('a saved schedule re-plans the built-in without a restart; removing it brings back its default', async () => {
    expect(planned('cleanup')).toBe('@daily');
    expect(planned('nightly-reconcile')).toBe('0 3 * * *');

    writeFileSync(join(site, 'netlify.toml'), toml('*/5 * * * *'));
    await eventually(async () => (planned('cleanup') === '*/5 * * * *' ? true : undefined));
    expect(serve.functions.get('cleanup')?.schedule).toBe('*/5 * * * *');
    const next = Date.parse(serve.scheduler.nextRuns().find((r) => r.function === 'cleanup')!.nextRun);
    expect(next - Date.now()).toBeLessThanOrEqual(5 * 60_000);

    writeFileSync(join(site, 'netlify.toml'), toml());
    await eventually(async () => (planned('cleanup') === '@hourly' ? true : undefined));
    expect(planned('nightly-reconcile')).toBe('0 3 * * *');
  });

  it('a schedule that is not a cron expression is logged and the last good one kept', async () => {
    writeFileSync(join(site, 'netlify.toml'), toml('every tuesday'));
    await eventually(async () =>
      serve.log.recent().some((e) => e.type === 'console' && e.function === 'netlify.toml' && e.text.includes('keeping the previous schedules')) ? true : undefined,
    );
    expect(planned('cleanup')).toBe('@hourly');
  });
});
