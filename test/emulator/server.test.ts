import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { HttpError } from '../../src/emulator/http-error.js';
import type { FunctionDef } from '../../src/emulator/functions.js';
import type { RequestLogEntry } from '../../src/emulator/request-log.js';
import { echo, eventually, json, startEmulator, type Started } from './helpers.js';
import { ULID_RE } from '../../src/util/ulid.js';
import type { JobRecord } from '../../src/emulator/jobs.js';
import { readJson } from '../helpers/json.js';

let started: Started[] = [];
afterEach(async () => {
  await Promise.all(started.map((s) => s.close()));
  started = [];
});
async function start(...args: Parameters<typeof startEmulator>): Promise<Started> {
  const s = await startEmulator(...args);
  started.push(s);
  return s;
}

const MB = 1024 * 1024;

describe('emulator routing', () => {
  it('routes /api paths from the fixture netlify.toml to their functions with the route params', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/api/streams/987?resolution=high&keys=time&keys=watts`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-nf-request-id')).toMatch(ULID_RE);
    const body = await readJson(res);
    expect(body).toMatchObject({
      functionName: 'api-streams',
      params: { activityId: '987' },
      method: 'GET',
      path: '/api/streams/987',
      rawQuery: 'resolution=high&keys=time&keys=watts',
      query: { resolution: 'high', keys: 'watts' },
      multiQuery: { keys: ['time', 'watts'] },
      body: null,
    });
    expect(body.remainingMs).toBeGreaterThan(9000);
  });

  it('/.netlify/functions/<name> reaches a function directly with its JSON body as a string', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/.netlify/functions/auth-refresh-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer abc' },
      body: JSON.stringify({ refresh_token: 'r1' }),
    });
    expect(await readJson(res)).toMatchObject({
      functionName: 'auth-refresh-token',
      method: 'POST',
      body: '{"refresh_token":"r1"}',
      isBase64Encoded: false,
      authorization: 'Bearer abc',
    });
  });

  it('binary bodies arrive base64-encoded as on Netlify', async () => {
    const { url } = await start();
    const bytes = new Uint8Array([0, 1, 2, 255]);
    const res = await fetch(`${url}/api/ai-brief`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(await readJson(res)).toMatchObject({ body: Buffer.from(bytes).toString('base64'), isBase64Encoded: true });
  });

  it('unknown routes and unknown functions are JSON 404s', async () => {
    const { url } = await start();
    for (const path of ['/nope', '/api/streams', '/.netlify/functions/does-not-exist']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const body = await readJson(res);
      expect(body.error.code).toMatch(/NOT_FOUND/);
    }
  });

  it('mounts get their prefix first and can pass with false', async () => {
    const { url } = await start([], {
      mounts: [
        { prefix: '/api/activities', handler: async () => false },
        {
          prefix: '/strava/',
          handler: async (_req, res) => {
            res.writeHead(200, { 'content-type': 'text/plain' }).end('fake strava');
          },
        },
      ],
    });
    expect(await (await fetch(`${url}/strava/api/v3/athlete`)).text()).toBe('fake strava');
    expect(await readJson(await fetch(`${url}/api/activities`))).toMatchObject({ functionName: 'api-activities' });
  });

  it('response headers, multi-value headers and base64 bodies reach the client', async () => {
    const fn: FunctionDef = {
      name: 'api-activities',
      kind: 'sync',
      handler: async () => ({
        statusCode: 201,
        headers: { 'x-cache': 'HIT', 'cache-control': 'private, max-age=60' },
        multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] },
        body: Buffer.from('hello').toString('base64'),
        isBase64Encoded: true,
      }),
    };
    const { url } = await start([fn]);
    const res = await request(`${url}/api/activities`);
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-cache']).toBe('HIT');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(await res.body.text()).toBe('hello');
  });
});

describe("Netlify's limits", () => {
  it('a 7 MB request body gets a 413 JSON error and the server keeps serving', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/api/ai-brief`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(7 * MB) });
    expect(res.status).toBe(413);
    expect((await readJson(res)).error.code).toBe('PAYLOAD_TOO_LARGE');
    const next = await fetch(`${url}/api/activities`);
    expect(next.status).toBe(200);
  });

  it('a chunked body without Content-Length is cut off at the limit too', async () => {
    const { url } = await start([], { limits: { bodyBytes: 1024 } });
    const chunks = async function* () {
      for (let i = 0; i < 8; i++) yield new TextEncoder().encode('y'.repeat(512));
    };
    const res = await fetch(`${url}/api/ai-brief`, { method: 'POST', body: ReadableStream.from(chunks()), duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect((await fetch(`${url}/api/activities`)).status).toBe(200);
  });

  it('a response body over 6 MB from a sync function becomes a 413 JSON error', async () => {
    const big: FunctionDef = { name: 'api-activities', kind: 'sync', handler: async () => ({ statusCode: 200, body: 'z'.repeat(6 * MB + 1) }) };
    const { url } = await start([big]);
    const res = await fetch(`${url}/api/activities`);
    expect(res.status).toBe(413);
    expect((await readJson(res)).error).toMatchObject({ code: 'RESPONSE_TOO_LARGE', message: expect.stringContaining('api-activities') });
  });

  it('a sync function slower than the timeout gets a 504 JSON error naming it', async () => {
    const slow: FunctionDef = {
      name: 'ai-brief',
      kind: 'sync',
      handler: () => new Promise((r) => setTimeout(() => r(json(200, {})), 2000)),
    };
    const { url } = await start([slow], { limits: { syncTimeoutMs: 100 } });
    const t0 = Date.now();
    const res = await fetch(`${url}/api/ai-brief`);
    expect(res.status).toBe(504);
    expect(Date.now() - t0).toBeLessThan(1500);
    const { error } = await readJson(res);
    expect(error).toMatchObject({ code: 'FUNCTION_TIMEOUT', function: 'ai-brief' });
    expect(error.message).toContain('"ai-brief"');
  });
});

describe('error boundary', () => {
  it('a thrown error is a 500 JSON with the request id; the stack only goes to the log', async () => {
    const boom: FunctionDef = {
      name: 'api-activities',
      kind: 'sync',
      handler: async () => {
        throw new Error('db exploded at /srv/secret/path');
      },
    };
    const s = await start([boom]);
    const entries: unknown[] = [];
    s.emulator.log.subscribe((e) => entries.push(e));
    const res = await fetch(`${s.url}/api/activities`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('exploded');
    const { error } = JSON.parse(text);
    expect(error.code).toBe('INTERNAL');
    expect(error.requestId).toBe(res.headers.get('x-nf-request-id'));
    const logged = entries.find((e) => (e as { type: string }).type === 'error') as { stack: string; requestId: string };
    expect(logged.stack).toContain('db exploded');
    expect(logged.requestId).toBe(error.requestId);
    expect((await fetch(`${s.url}/api/ai-brief`)).status).toBe(200);
  });

  it('an error carrying an HTTP status keeps its status, code and message', async () => {
    const strict: FunctionDef = {
      name: 'api-streams',
      kind: 'sync',
      handler: async (_e, ctx) => {
        throw new HttpError(400, 'INVALID_ACTIVITY_ID', `"${ctx.params.activityId}" is not an activity id`);
      },
    };
    const { url } = await start([strict]);
    const res = await fetch(`${url}/api/streams/abc`);
    expect(res.status).toBe(400);
    expect((await readJson(res)).error).toMatchObject({ code: 'INVALID_ACTIVITY_ID', message: '"abc" is not an activity id' });
  });

  it('a response with an invalid header value is a 500, not a crash', async () => {
    const bad: FunctionDef = { name: 'api-activities', kind: 'sync', handler: async () => ({ statusCode: 200, headers: { 'x-bad': 'a\nb' }, body: 'x' }) };
    const { url } = await start([bad]);
    const res = await fetch(`${url}/api/activities`);
    expect(res.status).toBe(500);
    expect((await readJson(res)).error.code).toBe('INVALID_RESPONSE');
  });
});

describe('background functions and the job API', () => {
  const background = (handler: FunctionDef['handler']): FunctionDef => ({ name: 'backfill-background', kind: 'background', handler });

  it('answer 202 at once, then the job record shows progress and success at /api/jobs/:id', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { url } = await start([
      background(async (event, ctx) => {
        ctx.reportProgress?.({ page: 1, fetched: 200 });
        await gate;
        ctx.reportProgress?.({ page: 2, fetched: 350, body: event.body });
        return { statusCode: 200 };
      }),
    ]);
    const res = await fetch(`${url}/.netlify/functions/backfill-background`, { method: 'POST', body: '{"athleteId":1}' });
    expect(res.status).toBe(202);
    const { jobId, url: jobUrl } = await readJson(res);
    expect(res.headers.get('x-job-id')).toBe(jobId);
    expect(jobUrl).toBe(`/api/jobs/${jobId}`);

    const running = await eventually(async () => {
      const job = await readJson(await fetch(`${url}${jobUrl}`));
      return job.progress ? job : undefined;
    });
    expect(running).toMatchObject({ id: jobId, function: 'backfill-background', status: 'running', progress: { page: 1, fetched: 200 } });

    release();
    const done = await eventually(async () => {
      const job = await readJson(await fetch(`${url}${jobUrl}`));
      return job.status === 'succeeded' ? job : undefined;
    });
    expect(done.progress).toEqual({ page: 2, fetched: 350, body: '{"athleteId":1}' });
    expect(done.finishedAt).toEqual(expect.any(String));
    expect(done.error).toBeNull();
  });

  it('a failing background function ends as failed with its error code and message', async () => {
    const { url } = await start([
      background(async () => {
        throw Object.assign(new Error('Strava said 401 for token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'), { code: 'STRAVA_UNAUTHORIZED' });
      }),
    ]);
    const { jobId } = await readJson(await fetch(`${url}/.netlify/functions/backfill-background`, { method: 'POST' }));
    const job = await eventually(async () => {
      const j = await readJson(await fetch(`${url}/api/jobs/${jobId}`));
      return j.status === 'failed' ? j : undefined;
    });
    expect(job.error.code).toBe('STRAVA_UNAUTHORIZED');
    expect(job.error.message).toContain('Strava said 401');
    expect(job.error.message).not.toContain('eyJhbGciOiJIUzI1NiJ9');
  });

  it('unknown job ids are 404, malformed ones 400, and a lookup hook adds other job sources', async () => {
    const stored: JobRecord = { id: 'db-7', function: 'backfill-background', status: 'running', progress: { source: 'db' }, error: null, createdAt: '2026-01-01T00:00:00.000Z', startedAt: null, finishedAt: null };
    const { url } = await start([], { jobLookup: async (id) => (id === 'db-7' ? stored : undefined) });
    expect((await fetch(`${url}/api/jobs/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
    expect((await fetch(`${url}/api/jobs/${encodeURIComponent('../../etc')}`)).status).toBe(400);
    expect((await fetch(`${url}/api/jobs/x`, { method: 'DELETE' })).status).toBe(405);
    expect(await readJson(await fetch(`${url}/api/jobs/db-7`))).toEqual(stored);
  });
});

describe('graceful shutdown', () => {
  it('close() stops accepting but waits for an in-flight request to finish', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: FunctionDef = { name: 'api-activities', kind: 'sync', handler: async () => (await gate, json(200, { ok: true })) };
    const s = await start([slow]);
    const inflight = fetch(`${s.url}/api/activities`);
    await eventually(() => (s.emulator.inFlight() === 1 ? true : undefined));
    const closing = s.emulator.close(5000);
    let closed = false;
    void closing.then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    await expect(fetch(`${s.url}/api/activities`)).rejects.toThrow();
    release();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({ ok: true });
    expect(await closing).toEqual({ unfinishedRequests: 0, unfinishedJobs: 0 });
  });

  it('close() waits for running background jobs, signalling them to checkpoint', async () => {
    let sawAbort = false;
    const s = await start([
      {
        name: 'backfill-background',
        kind: 'background',
        handler: async (_e, ctx) => {
          await new Promise<void>((r) => ctx.signal!.addEventListener('abort', () => r()));
          sawAbort = true;
          ctx.reportProgress?.({ checkpoint: 'page 3' });
          return { statusCode: 200 };
        },
      },
    ]);
    const res = await fetch(`${s.url}/.netlify/functions/backfill-background`, { method: 'POST' });
    const { jobId } = await readJson(res);
    await eventually(() => (s.emulator.jobs.get(jobId)?.status === 'running' ? true : undefined));
    expect(await s.emulator.close(2000)).toEqual({ unfinishedRequests: 0, unfinishedJobs: 0 });
    expect(sawAbort).toBe(true);
    expect(s.emulator.jobs.get(jobId)).toMatchObject({ status: 'succeeded', progress: { checkpoint: 'page 3' } });
  });

  it('close() signals a running scheduled function to checkpoint', async () => {
    let sawAbort = false;
    const s = await start([
      {
        name: 'nightly-reconcile',
        kind: 'scheduled',
        schedule: '0 3 * * *',
        handler: async (_e, ctx) => {
          await new Promise<void>((r) => ctx.signal!.addEventListener('abort', () => r()));
          sawAbort = true;
          return json(200, { stopped: 'at athlete 3' });
        },
      },
    ]);
    const run = s.emulator.invoke('nightly-reconcile');
    await new Promise((r) => setTimeout(r, 20));
    expect(sawAbort).toBe(false);
    await s.emulator.close(2000);
    expect(sawAbort).toBe(true);
    expect((await run).response.statusCode).toBe(200);
  });

  it('close() gives up at the deadline and reports what was unfinished', async () => {
    const stuck: FunctionDef = { name: 'api-activities', kind: 'sync', handler: () => new Promise(() => undefined) };
    const s = await start([stuck]);
    const inflight = fetch(`${s.url}/api/activities`).catch((e: unknown) => e);
    await eventually(() => (s.emulator.inFlight() === 1 ? true : undefined));
    expect(await s.emulator.close(100)).toEqual({ unfinishedRequests: 1, unfinishedJobs: 0 });
    expect(await inflight).toBeInstanceOf(Error);
  });
});

describe('in-process invocation', () => {
  it('invoke(name) runs a function without HTTP, as trigger does', async () => {
    const s = await start();
    const { response } = await s.emulator.invoke('strava-webhook', { body: '{"a":1}' });
    expect(JSON.parse(response.body!)).toMatchObject({ functionName: 'strava-webhook', method: 'POST', body: '{"a":1}' });
    await expect(s.emulator.invoke('nope')).rejects.toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
  });

  it('logs one entry per request with function, status, cache and timing', async () => {
    const cached: FunctionDef = { name: 'api-activities', kind: 'sync', handler: async () => json(200, [], { 'x-cache': 'HIT' }) };
    const s = await start([cached]);
    const entries: RequestLogEntry[] = [];
    s.emulator.log.subscribe((e) => e.type === 'request' && entries.push(e));
    await (await fetch(`${s.url}/api/activities?limit=5`)).text();
    await (await fetch(`${s.url}/missing`)).text();
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ method: 'GET', path: '/api/activities?limit=5', function: 'api-activities', status: 200, cache: 'HIT' });
    expect(entries[0]!.ms).toBeGreaterThanOrEqual(0);
    expect(entries[1]).toMatchObject({ function: null, status: 404, cache: null });
    void echo;
  });
});

describe('listening', () => {
  it('a busy port is a PORT_IN_USE error telling the user to pick another', async () => {
    const a = await start();
    const port = Number(new URL(a.url).port);
    const { createEmulator } = await import('../../src/emulator/server.js');
    const { createFunctionRegistry } = await import('../../src/emulator/functions.js');
    const b = createEmulator({ functions: createFunctionRegistry([]) });
    await expect(b.listen(port, '127.0.0.1')).rejects.toMatchObject({ code: 'PORT_IN_USE', hint: expect.stringContaining('--port') });
  });

  it('3xx rules in netlify.toml answer a redirect; rewrites reach a mount', async () => {
    const { createRouter, parseRedirects } = await import('../../src/emulator/redirects.js');
    const router = createRouter(
      parseRedirects(`
[[redirects]]
from = "/app/*"
to = "https://veloready.app/:splat"
status = 302
[[redirects]]
from = "/docs/*"
to = "/static/:splat"
status = 200
`),
    );
    const { url } = await start([], {
      redirects: router,
      mounts: [{ prefix: '/static/', handler: async (req, res) => void res.writeHead(200).end(`static ${req.url}`) }],
    });
    const res = await fetch(`${url}/app/settings`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://veloready.app/settings');
    expect(await (await fetch(`${url}/docs/a.html?v=1`)).text()).toBe('static /static/a.html?v=1');
    expect((await fetch(`${url}/.netlify/functions/api-activities`, { method: 'HEAD' })).status).toBe(200);
  });
});
