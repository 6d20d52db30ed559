import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, scratchDir } from '../helpers/cli.js';
import { serveUntil } from './helpers.js';
import { readJson } from '../helpers/json.js';

describe('veloready serve in an empty folder', () => {
  it('first run: creates .veloready, migrates, seeds the demo athlete, prints URL, token and a curl line that works', async () => {
    const cwd = scratchDir('vr-serve-');
    const { child, out } = await serveUntil(cwd, [], /try\s+curl .*\n/);
    try {
      const text = out();
      expect(text).toContain('first run: seeded demo athlete 104662');
      const url = /veloready serve: (http:\/\/127\.0\.0\.1:\d+)/.exec(text)![1]!;
      const token = /token\s+(\S+)/.exec(text)![1]!;
      expect(existsSync(join(cwd, '.veloready', 'pg'))).toBe(true);
      expect(existsSync(join(cwd, '.veloready', 'serve.json'))).toBe(true);
      const curl = /try\s+curl -H "Authorization: Bearer (\S+)" "(\S+)"/.exec(text)!;
      const r = await fetch(curl[2]!, { headers: { authorization: `Bearer ${curl[1]}` } });
      expect(r.status).toBe(200);
      expect((await readJson(r)).activities.length).toBe(5);

      // Other commands reach the same data through serve instead of failing on the lock.
      const status = await runCli(['db', 'status'], { cwd });
      expect(status.exitCode, status.stderr).toBe(0);
      expect(status.stdout + status.stderr).toContain('embedded via veloready serve');
      const minted = await runCli(['token', 'mint', '--athlete', '104662'], { cwd });
      const viaCli = await fetch(`${url}/api/activities?limit=1`, { headers: { authorization: `Bearer ${minted.stdout.trim()}` } });
      expect(viaCli.status).toBe(200);
      await viaCli.arrayBuffer();

      // A second serve on the same data dir is refused with the holder named.
      const second = await runCli(['serve', '--port', '0', '--pg-port', '0', '--no-ui'], { cwd });
      expect(second.exitCode).toBe(1);
      expect(second.stderr).toMatch(/already running .*pid \d+/);

      // Secrets never reach the request log.
      await (await fetch(`${url}/oauth/strava/callback?code=super-secret-code&redirect=0`)).arrayBuffer();
      await new Promise((r) => setTimeout(r, 100));
      const log = out().slice(out().indexOf(curl[0]) + curl[0].length);
      expect(log).toContain('/oauth/strava/callback');
      expect(log).toContain('/api/activities');
      expect(log).not.toContain('super-secret-code');
      expect(log).not.toContain(token);
      expect(log).not.toContain(minted.stdout.trim());
    } finally {
      child.kill('SIGINT');
    }
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(out()).toContain('stopped');
    expect(existsSync(join(cwd, '.veloready', 'serve.json'))).toBe(false);

    // A later run keeps the data: no seeding again. With --pgtap, pgTAP files run through it.
    const again = await serveUntil(cwd, ['--json', '--pgtap'], /"type":"ready".*\n/);
    const ready = JSON.parse(again.out().split('\n').find((l) => l.includes('"type":"ready"'))!);
    expect(ready.firstRun).toBe(false);
    const tapDir = scratchDir('vr-tap-');
    writeFileSync(join(tapDir, 'tap.test.sql'), "select plan(1);\nselect ok(true, 'pgTAP through serve');\nselect * from finish();\n");
    const tap = await runCli(['db', 'test-rls', '--tests', tapDir], { cwd });
    expect(tap.exitCode, tap.stdout + tap.stderr).toBe(0);
    expect(tap.stdout).toContain('ok 1 - pgTAP through serve');
    expect(tap.stderr).toContain('embedded via veloready serve');
    await (await fetch(`${ready.url}/api/activities?limit=1`, { headers: { authorization: `Bearer ${ready.demoToken}` } })).arrayBuffer();
    const deadline = Date.now() + 5000;
    while (!again.out().includes('"type":"request"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    again.child.kill('SIGTERM');
    await again.child;
    // --json: one JSON object per line, no blank lines between them.
    const requestLine = again.out().split('\n').find((l) => l.includes('"type":"request"'))!;
    expect(JSON.parse(requestLine)).toMatchObject({ type: 'request', function: 'api-activities', status: 200 });
    expect(again.out()).not.toMatch(/"type":"request".*\n\n/);
  }, 180_000);
});
