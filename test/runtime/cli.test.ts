import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { migratedDataDir } from '../helpers/db.js';
import { serveUntil } from '../serve/helpers.js';
import { copySite } from './helpers.js';

const site = copySite();
afterAll(() => site.remove());

describe('veloready functions list', () => {
  it('--json lists the project functions with their source beside the built-ins', async () => {
    const run = await runCli(['functions', 'list', '--json'], { cwd: site.dir });
    expect(run.exitCode, run.stderr).toBe(0);
    const { functions } = JSON.parse(run.stdout) as { functions: Array<{ name: string; source: string; kind: string }> };
    expect(functions.find((f) => f.name === 'api-activities')?.source).toBe('netlify/functions/api-activities.ts');
    expect(functions.find((f) => f.name === 'api-streams')?.source).toBe('built-in');
    expect(run.stderr).toContain('weekly-report.ts is in functions-scheduled/ but has no schedule');
  });

  it('bad flags exit 2 with one line saying what to do', async () => {
    const bad = await runCli(['functions', 'list', '--builtins', 'some'], { cwd: site.dir });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--builtins must be all or none');
    const missing = await runCli(['functions', 'list', '--functions', 'nowhere'], { cwd: site.dir });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('--functions nowhere: no such folder');
  });
});

describe('veloready serve in a site folder', () => {
  it("the banner lists the project's functions and warns about a scheduled file without a schedule", async () => {
    const dataDir = await migratedDataDir();
    const serve = await serveUntil(site.dir, ['--data-dir', dataDir, '--no-watch'], /try /);
    try {
      const out = serve.out();
      expect(out).toMatch(/functions {2}\d+ from the project, \d+ built-in/);
      expect(out).toMatch(/api-activities +sync +netlify\/functions\/api-activities\.ts +\/api\/activities/);
      expect(out).toMatch(/nightly-digest +scheduled +netlify\/functions-scheduled\/nightly-digest\.mts +@daily/);
      expect(out).toContain('warning    netlify/functions-scheduled/weekly-report.ts is in functions-scheduled/ but has no schedule');
    } finally {
      serve.child.kill('SIGINT');
      await serve.child;
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
