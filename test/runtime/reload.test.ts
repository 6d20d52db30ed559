import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleLogEntry, LogEntry } from '../../src/emulator/request-log.js';
import { bearer, startTestServe, type TestServe } from '../serve/helpers.js';
import { copySite, eventually } from './helpers.js';

// serve in an editable copy of the fixture site, watching it, with only the project's functions,
// and a .env that points at production (serve's local values must win).
let serve: TestServe;
let site: ReturnType<typeof copySite>;
const entries: LogEntry[] = [];
// The bound: the next request runs the new code within 1 s of the save (measured here at
// load average 7-12 on 2 cores: 50-170 ms, most of it the rebuild and the polling request).
const RELOAD_WITHIN_MS = 1000;

beforeAll(async () => {
  site = copySite();
  writeFileSync(join(site.dir, '.env'), 'SUPABASE_URL=https://abcdefgh.supabase.co\nDATABASE_URL=postgres://postgres:hunter2@db.abcdefgh.supabase.co:5432/postgres\nFEATURE_FLAG=on\n');
  serve = await startTestServe({ cwd: site.dir, builtins: 'none' });
  serve.log.subscribe((e) => entries.push(e));
  // Each function's first instance starts with serve; on this shared machine that can take seconds.
  await serve.project.warmed();
});

afterAll(async () => {
  await serve?.stop();
  site?.remove();
});

const get = (path: string, init?: RequestInit) => fetch(`${serve.url}${path}`, init);
const file = (rel: string) => join(site.dir, rel);
const edit = (rel: string, from: string, to: string) => {
  const text = readFileSync(file(rel), 'utf8');
  expect(text).toContain(from);
  writeFileSync(file(rel), text.replace(from, to));
};

/** Polls until `probe` holds; returns how long after `since` it did. */
async function within(since: number, probe: () => Promise<boolean>): Promise<number> {
  await eventually(async () => ((await probe()) ? true : undefined), 5000, 20);
  return performance.now() - since;
}

describe('project functions reload without restarting serve', () => {
  it("the project's .env pointing at production is overridden and reported; the functions still reach serve", async () => {
    expect(serve.envReplaced.map((r) => r.name).sort()).toEqual(['DATABASE_URL', 'SUPABASE_URL']);
    expect(JSON.stringify(serve.envReplaced)).not.toContain('hunter2');
    const res = await get('/api/activities', { headers: bearer(serve.tokenFor(serve.demo.athleteId)) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-served-by')).toBe('site-api-activities');
  });

  it('--builtins none: only the project\'s functions answer', async () => {
    const res = await get('/.netlify/functions/api-streams');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'FUNCTION_NOT_FOUND' } });
  });

  it('saving a function makes the next request run the new code within 1 s', async () => {
    expect((await get('/api/hello/ada')).headers.get('x-served-by')).toBe('site-hello');
    const saved = performance.now();
    edit('netlify/functions/hello.mts', "'X-Served-By': 'site-hello'", "'X-Served-By': 'site-hello-edited'");
    const ms = await within(saved, async () => (await get('/api/hello/ada')).headers.get('x-served-by') === 'site-hello-edited');
    expect(ms).toBeLessThan(RELOAD_WITHIN_MS);
    expect(entries.some((e) => e.type === 'console' && e.function === 'hello' && e.text.startsWith('reloaded'))).toBe(true);
  });

  it('saving a lib/ file a function imports reloads that function within 1 s', async () => {
    const saved = performance.now();
    edit('netlify/lib/greeting.ts', '`Hello, ${name}`', '`Hi there, ${name}`');
    const ms = await within(saved, async () => ((await (await get('/api/hello/ada')).json()) as { greeting: string }).greeting === 'Hi there, ada');
    expect(ms).toBeLessThan(RELOAD_WITHIN_MS);
  });

  it('a new function file is routed without restart, and unrouted when removed', async () => {
    expect((await get('/.netlify/functions/fresh')).status).toBe(404);
    const saved = performance.now();
    writeFileSync(file('netlify/functions/fresh.ts'), "export const handler = async () => ({ statusCode: 200, body: 'fresh' });\n");
    const ms = await within(saved, async () => (await get('/.netlify/functions/fresh')).status === 200);
    expect(ms).toBeLessThan(RELOAD_WITHIN_MS);
    expect(await (await get('/.netlify/functions/fresh')).text()).toBe('fresh');
    rmSync(file('netlify/functions/fresh.ts'));
    await within(performance.now(), async () => (await get('/.netlify/functions/fresh')).status === 404);
  });

  it('a syntax error is a JSON 500 and one log line naming file:line:column; others keep working; fixing it recovers', async () => {
    const good = readFileSync(file('netlify/functions/hello.mts'), 'utf8');
    writeFileSync(file('netlify/functions/hello.mts'), good.replace('const count =', 'const count = = '));
    const res = await eventually(async () => {
      const r = await get('/api/hello/ada');
      return r.status === 500 ? r : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(entries.filter((x) => x.type === 'console').slice(-8))}`);
    });
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code, error.message).toBe('FUNCTION_BUILD_FAILED');
    expect(error.message).toMatch(/netlify\/functions\/hello\.mts:\d+:\d+: Unexpected "="/);
    const lines = entries.filter((e): e is ConsoleLogEntry => e.type === 'console' && e.function === 'hello' && e.text.startsWith('does not build'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.text).toMatch(/hello\.mts:\d+:\d+: Unexpected "="/);
    expect((await get('/.netlify/functions/legacy-cjs')).status).toBe(200);

    writeFileSync(file('netlify/functions/hello.mts'), good);
    await within(performance.now(), async () => (await get('/api/hello/ada')).status === 200);
  });

  it('a failed import is a JSON 500 naming the file; fixing it recovers', async () => {
    const good = readFileSync(file('netlify/functions/legacy-cjs.cjs'), 'utf8');
    writeFileSync(file('netlify/functions/legacy-cjs.cjs'), good.replace("require('@supabase/supabase-js')", "require('no-such-package-anywhere')"));
    const res = await eventually(async () => {
      const r = await get('/.netlify/functions/legacy-cjs');
      return r.status === 500 ? r : undefined;
    });
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('FUNCTION_LOAD_FAILED');
    expect(error.message).toContain('no-such-package-anywhere');
    expect(error.message).toContain('netlify/functions/legacy-cjs.cjs:');
    writeFileSync(file('netlify/functions/legacy-cjs.cjs'), good);
    await within(performance.now(), async () => (await get('/.netlify/functions/legacy-cjs')).status === 200);
  });

  it('editing netlify.toml reloads redirects and schedules', async () => {
    expect(serve.scheduler.nextRuns().map((r) => r.function)).not.toContain('weekly-report');
    const toml = readFileSync(file('netlify.toml'), 'utf8');
    writeFileSync(
      file('netlify.toml'),
      `${toml}\n[functions."weekly-report"]\n  schedule = "@weekly"\n\n[[redirects]]\n  from = "/reports/weekly"\n  to = "/.netlify/functions/weekly-report"\n  status = 200\n`,
    );
    // Now scheduled, it answers HTTP only to an operator, as serve's built-in scheduled functions do.
    const operator = { headers: bearer(serve.tokenFor(0, 'service_role')) };
    await within(performance.now(), async () => (await get('/reports/weekly', operator)).status === 200);
    expect(await (await get('/reports/weekly', operator)).text()).toBe('weekly report');
    expect((await get('/reports/weekly')).status).toBe(401);
    expect(serve.scheduler.nextRuns()).toContainEqual(expect.objectContaining({ function: 'weekly-report', schedule: '@weekly' }));
    expect(serve.functions.get('weekly-report')?.kind).toBe('scheduled');
  });

  it("saving .env gives the functions new instances with the project's new values", async () => {
    expect(((await (await get('/api/hello/ada')).json()) as { flag: string }).flag).toBe('on');
    const env = readFileSync(file('.env'), 'utf8');
    writeFileSync(file('.env'), env.replace('FEATURE_FLAG=on', 'FEATURE_FLAG=off'));
    await within(performance.now(), async () => ((await (await get('/api/hello/ada')).json()) as { flag: string }).flag === 'off');
  });
});
