import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleLogEntry, ErrorLogEntry, LogEntry } from '../../src/emulator/request-log.js';
import { ADMIN_TOKEN_HEADER } from '../../src/control/admin-guard.js';
import { runCli } from '../helpers/cli.js';
import { bearer, startTestServe, TEST_SECRET, waitForJob, type TestServe } from '../serve/helpers.js';
import { copySite, siteStore } from './helpers.js';

// One serve started in a copy of fixtures/sites/veloready, as `cd site && veloready serve` would.
let serve: TestServe;
let site: ReturnType<typeof copySite>;
const entries: LogEntry[] = [];
const SYNC_TIMEOUT_MS = 4000;
const DAY_MS = 24 * 3600_000;

beforeAll(async () => {
  site = copySite();
  writeFileSync(
    join(site.dir, 'netlify/functions/hello-remove.mts'),
    "export default async (_req: Request, context: any) => Response.json({ removed: context.params.name });\nexport const config = { path: '/api/hello/:name', method: 'DELETE' };\n",
  );
  writeFileSync(
    join(site.dir, 'netlify/functions/fetch-object.mts'),
    "export default { label: 'object', fetch(req: Request, context: any) { return Response.json({ label: this.label, id: context.params.id, method: req.method }); } };\nexport const config = { path: '/api/objects/:id' };\n",
  );
  writeFileSync(
    join(site.dir, 'netlify/functions/big-bodies.mts'),
    [
      "const text = 'Col du Galibier — 2 642 m ⛰ '.repeat(400);",
      'const binary = new Uint8Array(300_000).map((_, i) => (i * 7) % 256);',
      'export default async (req: Request) => {',
      "  const kind = new URL(req.url).searchParams.get('kind');",
      "  if (kind === 'binary') return new Response(binary, { headers: { 'content-type': 'application/octet-stream' } });",
      "  if (kind === 'huge') return new Response('x'.repeat(7 * 1024 * 1024));",
      "  return new Response(text, { headers: { 'content-type': 'text/plain; charset=utf-8' } });",
      '};',
      "export const config = { path: '/api/big' };",
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(site.dir, 'netlify/functions/big-legacy.ts'),
    "export const handler = async () => ({ statusCode: 200, headers: { 'content-type': 'image/png' }, isBase64Encoded: true, body: Buffer.from(new Uint8Array(50_000).map((_, i) => i % 251)).toString('base64') });\n",
  );
  serve = await startTestServe({ cwd: site.dir, syncTimeoutMs: SYNC_TIMEOUT_MS, watch: false });
  serve.log.subscribe((e) => entries.push(e));
  // Each function's first instance starts with serve; on this shared machine that can take seconds.
  await serve.project.warmed();
  expect(serve.functions.get('hello')?.routes).toEqual(['/api/hello/:name', '/hello/:name']);
});

afterAll(async () => {
  await serve?.stop();
  site?.remove();
});

const get = (path: string, init?: RequestInit) => fetch(`${serve.url}${path}`, init);
const consoleLines = (fn: string) => entries.filter((e): e is ConsoleLogEntry => e.type === 'console' && e.function === fn);

describe("serve runs the project's own functions", () => {
  it("api-activities: the project's handler answers MISS (from fake Strava through its own fetch) then HIT from its Blobs cache", async () => {
    const token = serve.tokenFor(serve.demo.athleteId);
    const first = await get('/api/activities', { headers: bearer(token) });
    expect(first.status, JSON.stringify(entries.filter((e) => e.type !== 'request'))).toBe(200);
    expect(first.headers.get('x-served-by')).toBe('site-api-activities');
    expect(first.headers.get('x-cache')).toBe('MISS');
    const activities = (await first.json()) as Array<{ athlete: { id: number } }>;
    expect(activities.length).toBeGreaterThan(0);
    expect(activities.every((a) => a.athlete.id === serve.demo.athleteId)).toBe(true);

    const second = await get('/api/activities', { headers: bearer(token) });
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.headers.get('x-served-by')).toBe('site-api-activities');
    expect(await second.json()).toEqual(activities);
    // The entry sits in serve's blob store under the project's own key, with the project's metadata.
    const entry = await siteStore(serve, 'veloready-cache').getWithMetadata(`activities:${serve.demo.athleteId}`);
    expect(entry?.metadata).toMatchObject({ ttl: 86400 });
  });

  it('api-activities: a request without a token gets the project\'s own 401 (its lib/auth.ts ran)', async () => {
    const res = await get('/api/activities');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Missing or invalid Authorization header' });
  });

  it('the first call of an instance is logged: ready ahead of it (warmed at start), or a cold start with the time it waited', async () => {
    const ahead = consoleLines('api-activities').find((e) => e.level === 'runtime' && e.text.startsWith('first call'));
    expect(ahead?.text).toMatch(/^first call of an instance ready ahead of it \(instance started and module loaded in \d+ ms\)$/);
    expect(ahead?.requestId).toMatch(/^[0-9A-Z]{26}$/);
    // A scheduled function has no instance until it runs: its first run waits for one, in the spare instance serve keeps.
    await serve.scheduler.runNow('nightly-digest');
    const cold = consoleLines('nightly-digest').find((e) => e.level === 'runtime' && e.text.startsWith('cold start'));
    expect(cold?.text).toMatch(/^cold start: \d+ ms \(function loaded in a spare instance in \d+ ms\)$/);
  });

  it('a built-in the project lacks still answers', async () => {
    const res = await get('/.netlify/functions/api-streams/', { headers: bearer(serve.tokenFor(serve.demo.athleteId)) });
    expect(res.status).not.toBe(404);
    expect(serve.functions.get('api-streams')?.source ?? 'built-in').toBe('built-in');
    expect(serve.functions.get('api-activities')?.source).toBe('netlify/functions/api-activities.ts');
  });

  it('v2: config.path routes with :params, context and Netlify.env, cookies, and Blobs without connectLambda', async () => {
    const a = await get('/api/hello/ada');
    expect(a.status, `${await a.clone().text()} ${JSON.stringify(serve.functions.get('hello'))} ${JSON.stringify(serve.project.warnings)}`).toBe(200);
    expect(a.headers.get('x-served-by')).toBe('site-hello');
    expect(a.headers.get('set-cookie')).toContain('greeted=ada');
    const body = (await a.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ hello: 'ada', visits: 1, method: 'GET', context: 'dev', site: 'veloready-local' });
    expect(body.requestId).toBe(a.headers.get('x-nf-request-id'));
    expect(Math.abs((body.now as number) - Date.now())).toBeLessThan(5000);
    const b = await get('/hello/ada', { method: 'POST', body: '{}' });
    expect(await b.json()).toMatchObject({ hello: 'ada', visits: 2, method: 'POST' });
  });

  it('a function with config.path is not served at /.netlify/functions/<name> (as on Netlify), except to an operator', async () => {
    const res = await get('/.netlify/functions/hello');
    expect(res.status).toBe(404);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error).toEqual({ code: 'NOT_FOUND', message: 'no function or route for /.netlify/functions/hello: hello sets config.path, so it is served only at /api/hello/:name, /hello/:name' });
    expect((await get('/.netlify/functions/hello', { headers: bearer(serve.tokenFor(serve.demo.athleteId)) })).status).toBe(404);
    // veloready trigger calls functions by name with a service_role token.
    const operator = await get('/.netlify/functions/fetch-object', { headers: bearer(serve.tokenFor(serve.demo.athleteId, 'service_role')) });
    expect(operator.status).toBe(200);
    expect(await operator.json()).toEqual({ label: 'object', method: 'GET' });
  });

  it('v2: a default export that is an object with a fetch method is called as the handler, with its object as this', async () => {
    const res = await get('/api/objects/42', { method: 'PATCH', body: '{}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ label: 'object', id: '42', method: 'PATCH' });
  });

  it('large bodies arrive byte for byte (text, binary, a v1 base64 body) and the 6 MB limit still applies', async () => {
    const text = await get('/api/big');
    const expectedText = 'Col du Galibier — 2 642 m ⛰ '.repeat(400);
    expect(text.headers.get('content-length')).toBe(String(Buffer.byteLength(expectedText)));
    expect(await text.text()).toBe(expectedText);
    const binary = Buffer.from(await (await get('/api/big?kind=binary')).arrayBuffer());
    expect(binary.equals(Buffer.from(new Uint8Array(300_000).map((_, i) => (i * 7) % 256)))).toBe(true);
    const legacy = await get('/.netlify/functions/big-legacy');
    expect(legacy.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await legacy.arrayBuffer()).equals(Buffer.from(new Uint8Array(50_000).map((_, i) => i % 251)))).toBe(true);
    const huge = await get('/api/big?kind=huge');
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe('RESPONSE_TOO_LARGE');
  });

  it("config.method: a method hello's routes do not take goes on to the next function on the path, else a 404 (not a 405)", async () => {
    // Only DELETE on hello's path: the request a route refuses is another route's to take.
    const removed = await get('/api/hello/ada', { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect(await removed.json()).toEqual({ removed: 'ada' });
    const nobody = await get('/api/hello/ada', { method: 'PUT', body: '{}' });
    expect(nobody.status).toBe(404);
    expect(await nobody.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('a CommonJS function requires packages from the project', async () => {
    const res = await get('/.netlify/functions/legacy-cjs');
    expect(await res.json()).toEqual({ module: 'cjs', createClient: 'function', dirname: true });
  });

  it('a v1 function that opens a store without connectLambda(event) fails as on Netlify, saying what to do', async () => {
    const res = await get('/api/legacy-cache');
    expect(res.status).toBe(500);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('BLOBS_NOT_CONNECTED');
    expect(error.message).toContain('MissingBlobsEnvironmentError');
    expect(error.message).toContain('call connectLambda(event) first, or move the function to v2');
    expect(error.message).toContain('netlify/lib/legacy-cache.ts:5');
  });

  it('a throwing function is a JSON 500 naming it and its .ts line; the stack in the log is source-mapped; serve stays up', async () => {
    const res = await get('/.netlify/functions/boom');
    expect(res.status).toBe(500);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error).toMatchObject({ code: 'FUNCTION_ERROR' });
    expect(error.message).toContain('function "boom" failed: Error: kaboom (netlify/functions/boom.ts:15:9)');
    const logged = entries.find((e): e is ErrorLogEntry => e.type === 'error' && e.function === 'boom');
    expect(logged?.stack).toContain('netlify/functions/boom.ts:15:9');
    expect((await get('/api/hello/after-boom')).status).toBe(200);
  });

  it.each([
    ['uncaught', /uncaught Error: boom outside the handler/],
    ['reject', /uncaught Error: a rejection nobody handled/],
    ['exit', /process\.exit\(3\)/],
  ])('%s in a function is a JSON 500 FUNCTION_CRASHED naming it; its instance is replaced', async (mode, why) => {
    const res = await get(`/.netlify/functions/boom?mode=${mode}`);
    expect(res.status).toBe(500);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('FUNCTION_CRASHED');
    expect(error.message).toContain('function "boom" crashed');
    expect(error.message).toMatch(why);
    // A fresh instance answers the next call.
    const again = await get('/.netlify/functions/boom');
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('FUNCTION_ERROR');
  });

  it('a looping function gets its 504 at the sync timeout while another function answers in under 200 ms; its instance is replaced', async () => {
    await get('/api/hello/warm');
    const looping = get('/.netlify/functions/spin');
    await new Promise((r) => setTimeout(r, 200));
    // Three requests while it spins (the best one judged: this machine is shared); each would wait
    // for the loop to end if functions shared serve's thread.
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const other = await get('/api/hello/meanwhile');
      times.push(performance.now() - started);
      expect(other.status).toBe(200);
    }
    expect(Math.min(...times)).toBeLessThan(200);
    const res = await looping;
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { code: 'FUNCTION_TIMEOUT' } });
    expect(consoleLines('spin').some((e) => e.text.includes('instance terminated'))).toBe(true);
    // The runaway instance is gone: the pool holds no busy thread, and the next call times out afresh.
    expect((await get('/.netlify/functions/spin')).status).toBe(504);
  });

  it('a background function answers 202 with a job; its effect shows in the blob store and its console line in the log', async () => {
    const res = await get('/.netlify/functions/sync-athlete-background', { method: 'POST', body: JSON.stringify({ athlete_id: 104662 }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const job = await waitForJob(serve.url, jobId);
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    const synced = (await siteStore(serve, 'veloready-cache').get('sync:104662', { type: 'json' })) as { athleteId: number } | null;
    expect(synced?.athleteId).toBe(104662);
    const line = consoleLines('sync-athlete-background').find((e) => e.level === 'log');
    expect(line).toMatchObject({ text: 'synced athlete 104662', requestId: jobId });
  });

  it('`veloready trigger` runs the project\'s scheduled function, which gets its next_run', async () => {
    const run = await runCli(['trigger', 'nightly-digest', '--url', serve.url, '--secret', TEST_SECRET, '--json'], { cwd: site.dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ function: 'nightly-digest', status: 204 });
    const digest = (await siteStore(serve, 'veloready-cache').get('digest:last-run', { type: 'json' })) as { nextRun: string } | null;
    expect(Date.parse(digest!.nextRun)).toBeGreaterThan(Date.now());
    expect(serve.scheduler.nextRuns().map((r) => r.function)).toContain('nightly-digest');
  });

  it('a call to a host serve does not emulate fails at once, naming the host', async () => {
    const started = performance.now();
    const res = await get('/.netlify/functions/weather');
    expect(res.status).toBe(500);
    const { error } = (await res.json()) as { error: { message: string } };
    expect(error.message).toContain('api.weather.example');
    expect(error.message).toContain('offline');
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it("a call to api.openai.com reaches serve's offline OpenAI endpoint", async () => {
    const res = await get('/.netlify/functions/ai-coach');
    const body = (await res.json()) as { status: number; brief: string | null };
    expect(body.status).toBe(200);
    expect(body.brief).toEqual(expect.any(String));
    expect(body.brief!.length).toBeGreaterThan(10);
  });

  it("a function's Date.now() is serve's virtual time once the clock moves (POST /_/api/clock, as veloready clock advance does)", async () => {
    const changeClock = (body: Record<string, string>) =>
      fetch(`${serve.url}/_/api/clock`, { method: 'POST', headers: { [ADMIN_TOKEN_HEADER]: serve.adminToken, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const nowOf = async () => ((await (await get('/api/hello/clock')).json()) as { now: number }).now;
    expect(Math.abs((await nowOf()) - Date.now())).toBeLessThan(60_000);
    expect((await changeClock({ action: 'advance', by: '3d' })).status).toBe(200);
    try {
      const seen = await nowOf();
      expect(Math.abs(seen - (Date.now() + 3 * DAY_MS))).toBeLessThan(60_000);
      expect(Math.abs(seen - serve.clock.now())).toBeLessThan(60_000);
    } finally {
      expect((await changeClock({ action: 'set', time: 'now' })).status).toBe(200);
    }
    expect(Math.abs((await nowOf()) - Date.now())).toBeLessThan(60_000);
  });

  it("console output reaches serve's log with the request id, redacted", async () => {
    const res = await get('/api/activities', { headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.c2lnbmF0dXJlLW5vdC12YWxpZA' } });
    expect(res.status).toBe(401);
    const id = res.headers.get('x-nf-request-id');
    const line = consoleLines('api-activities').find((e) => e.requestId === id && e.level === 'error');
    expect(line?.text).toContain('Error: Invalid or expired token');
    expect(JSON.stringify(entries)).not.toContain('c2lnbmF0dXJlLW5vdC12YWxpZA');
  });
});
