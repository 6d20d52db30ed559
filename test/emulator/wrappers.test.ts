import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { VeloError } from '../../src/errors.js';
import { bodyBytes } from '../../src/emulator/body-limit.js';
import { createFunctionRegistry } from '../../src/emulator/functions.js';
import { guard, type GuardOptions } from '../../src/emulator/guard.js';
import { HttpError } from '../../src/emulator/http-error.js';
import { InvocationContext, syntheticEvent } from '../../src/emulator/invoke.js';
import type { Handler } from '../../src/emulator/types.js';

const ctx = (name = 'fn') => new InvocationContext(name, 'req-1', {}, 10_000, new ManualClock(0));
const ok: Handler = async () => ({ statusCode: 200, body: 'ok' });
const limits = (o: Partial<GuardOptions> = {}): GuardOptions => ({ timeoutMs: 10_000, bodyBytes: 6 * 1024 * 1024, ...o });

describe('the guard around every function', () => {
  it('refuses a large request body before the handler runs and checks UTF-8 bytes of the response', async () => {
    let ran = false;
    const h = guard(async () => ((ran = true), { statusCode: 200, body: 'é'.repeat(600) }), limits({ bodyBytes: 1000 }));
    const big = await h(syntheticEvent({ path: '/', body: 'x'.repeat(1001) }), ctx());
    expect(big.statusCode).toBe(413);
    expect(ran).toBe(false);
    const res = await h(syntheticEvent({ path: '/', body: 'x'.repeat(1000) }), ctx('api-streams'));
    expect(res.statusCode).toBe(413); // 600 × 2 bytes > 1000
    expect(JSON.parse(res.body!).error.message).toContain('api-streams');
    expect(bodyBytes(Buffer.alloc(10).toString('base64'), true)).toBe(10);
  });

  it('answers 504 naming the function when the handler is too slow; a fast handler is untouched', async () => {
    const slow: Handler = () => new Promise((r) => setTimeout(() => r({ statusCode: 200 }), 500));
    const res = await guard(slow, limits({ timeoutMs: 20 }))(syntheticEvent({ path: '/' }), ctx('api-activities'));
    expect(res.statusCode).toBe(504);
    expect(JSON.parse(res.body!).error).toMatchObject({ code: 'FUNCTION_TIMEOUT', function: 'api-activities', message: expect.stringContaining('20 ms') });
    expect((await guard(ok, limits({ timeoutMs: 20 }))(syntheticEvent({ path: '/' }), ctx())).body).toBe('ok');
  });

  it('a handler that throws before returning a promise gets the same JSON 500 as one that rejects', async () => {
    const seen: string[] = [];
    const sync = (() => {
      throw new Error('boom');
    }) as unknown as Handler;
    const res = await guard(sync, limits({ onError: (i) => seen.push(`${i.functionName} ${i.status}`) }))(syntheticEvent({ path: '/' }), ctx('api-streams'));
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body!).error).toMatchObject({ code: 'INTERNAL', requestId: 'req-1' });
    expect(res.body).not.toContain('boom');
    expect(seen).toEqual(['api-streams 500']);
  });

  it('maps statuses: HttpError and {status} keep theirs, a plain VeloError or Error is 500', async () => {
    const throwing = (err: unknown): Handler => async () => {
      throw err;
    };
    const seen: number[] = [];
    const run = async (err: unknown) => {
      const res = await guard(throwing(err), limits({ onError: (i) => seen.push(i.status) }))(syntheticEvent({ path: '/' }), ctx());
      return { status: res.statusCode, error: JSON.parse(res.body!).error };
    };
    expect(await run(new HttpError(401, 'UNAUTHORIZED', 'token expired', 'refresh it'))).toEqual({
      status: 401,
      error: { code: 'UNAUTHORIZED', message: 'token expired', hint: 'refresh it', requestId: 'req-1' },
    });
    expect(await run(Object.assign(new Error('nope'), { status: 409, code: 'CONFLICT' }))).toMatchObject({ status: 409, error: { code: 'CONFLICT' } });
    expect(await run(new VeloError('DB_DOWN', 'connection refused'))).toMatchObject({ status: 500, error: { code: 'INTERNAL', requestId: 'req-1' } });
    expect(await run(Object.assign(new VeloError('STRAVA_DOWN', 'upstream 503'), { status: 502 }))).toMatchObject({ status: 502, error: { code: 'STRAVA_DOWN' } });
    expect(await run('a string')).toMatchObject({ status: 500 });
    expect(seen).toEqual([401, 409, 500, 502, 500]);
  });

  it('the registry refuses definitions Netlify would not deploy', () => {
    const h = ok;
    expect(() => createFunctionRegistry([{ name: 'backfill', kind: 'background', handler: h }])).toThrow(/must end with "-background"/);
    expect(() => createFunctionRegistry([{ name: 'x-background', kind: 'sync', handler: h }])).toThrow(/must be a background/);
    expect(() => createFunctionRegistry([{ name: 'cleanup', kind: 'scheduled', handler: h }])).toThrow(/no schedule/);
    expect(() => createFunctionRegistry([{ name: 'cleanup', kind: 'scheduled', schedule: 'every day', handler: h }])).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULE' }),
    );
    expect(() => createFunctionRegistry([{ name: 'a', kind: 'sync', handler: h }, { name: 'a', kind: 'sync', handler: h }])).toThrow(/twice/);
    expect(() => createFunctionRegistry([{ name: '../x', kind: 'sync', handler: h }])).toThrow(/invalid function name/);
    const reg = createFunctionRegistry([{ name: 'cleanup', kind: 'scheduled', schedule: '@hourly', handler: h }]);
    expect(reg.get('cleanup')?.kind).toBe('scheduled');
    expect(reg.list()).toHaveLength(1);
  });
});
