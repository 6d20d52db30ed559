import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { syntheticEvent } from '../../src/emulator/invoke.js';
import type { NetlifyContext } from '../../src/emulator/types.js';
import { FunctionPool, type PoolLogLine } from '../../src/runtime/pool.js';

const dir = mkdtempSync(join(tmpdir(), 'vr-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function poolFor(name: string, code: string, opts: { clock?: ManualClock; memoryMb?: number; maxInstances?: number } = {}) {
  const bundle = join(dir, `${name}.mjs`);
  writeFileSync(bundle, code);
  const lines: PoolLogLine[] = [];
  const pool = new FunctionPool({
    setup: {
      name,
      bundle,
      source: bundle,
      form: 'v1',
      background: false,
      blobs: { url: 'http://127.0.0.1:1', token: 't', siteID: 's', deployID: '0' },
      site: { id: 's', name: 'site', url: 'http://127.0.0.1:1' },
      outbound: { rewrites: {}, online: false },
    },
    env: {},
    projectDir: dir,
    clock: opts.clock ?? new ManualClock(Date.now()),
    log: (l) => lines.push(l),
    ...(opts.memoryMb ? { memoryMb: opts.memoryMb } : {}),
    ...(opts.maxInstances ? { maxInstances: opts.maxInstances } : {}),
  });
  return { pool, lines };
}

const context = (name: string, remainingMs = 20_000): NetlifyContext => ({ functionName: name, awsRequestId: `req-${name}`, params: {}, getRemainingTimeInMillis: () => remainingMs });

describe('function pool', () => {
  it("project code sees serve's clock: Date.now() and new Date() follow a clock set years ahead", async () => {
    const clock = new ManualClock(Date.parse('2031-05-04T10:00:00Z'));
    const { pool } = poolFor('clocked', 'export const handler = async () => ({ statusCode: 200, body: JSON.stringify({ now: Date.now(), iso: new Date().toISOString(), fixed: new Date(0).getTime() }) });\n', { clock });
    try {
      const res = await pool.invoke(syntheticEvent({ path: '/x' }), context('clocked'));
      const body = JSON.parse(res.body!) as { now: number; iso: string; fixed: number };
      expect(Math.abs(body.now - Date.parse('2031-05-04T10:00:00Z'))).toBeLessThan(2000);
      expect(body.iso.startsWith('2031-05-04T10:00')).toBe(true);
      expect(body.fixed).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('a runaway allocation is bounded by the memory limit: a JSON-able FUNCTION_CRASHED naming the function, then a fresh instance', async () => {
    const { pool, lines } = poolFor(
      'hog',
      "const kept = [];\nexport const handler = async (event) => {\n  if (event.queryStringParameters.hog) for (;;) kept.push(new Array(1e5).fill(Math.random()));\n  return { statusCode: 200, body: 'ok' };\n};\n",
      { memoryMb: 24 },
    );
    try {
      const failure = await pool.invoke(syntheticEvent({ path: '/x', query: { hog: '1' } }), context('hog')).then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string; status: number },
      );
      expect(failure).toMatchObject({ code: 'FUNCTION_CRASHED', status: 500 });
      expect(failure!.message).toContain('function "hog" crashed: it ran out of memory');
      expect(lines.some((l) => l.level === 'runtime' && l.text.includes('instance crashed'))).toBe(true);
      const after = await pool.invoke(syntheticEvent({ path: '/x' }), context('hog'));
      expect(after.body).toBe('ok');
    } finally {
      await pool.close();
    }
  });

  it('concurrent calls start more than one instance, never more than the bound; an instance keeps its module state (warm)', async () => {
    const { pool } = poolFor('counter', "let calls = 0;\nexport const handler = async () => { calls++; await new Promise((r) => setTimeout(r, 100)); return { statusCode: 200, body: String(calls) }; };\n", { maxInstances: 2 });
    try {
      const results = await Promise.all([1, 2, 3, 4].map(() => pool.invoke(syntheticEvent({ path: '/x' }), context('counter'))));
      expect(results.every((r) => r.statusCode === 200)).toBe(true);
      expect(pool.size()).toBe(2);
      const bodies = results.map((r) => Number(r.body));
      // Four calls over two warm instances: each instance's counter went on from where it was.
      expect(bodies.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1 + 2 + 1 + 2);
      expect(Math.max(...bodies)).toBeGreaterThanOrEqual(2);
    } finally {
      await pool.close();
    }
  });

  describe('a fast function (calls under FAST_CALL_MS)', () => {
    // Each instance names itself and counts the calls running in it at once.
    const code = [
      'const me = Math.random().toString(36).slice(2);',
      'let running = 0; let most = 0; let count = 0;',
      'export const handler = async (event) => {',
      '  running++; count++; most = Math.max(most, running);',
      '  const q = event.queryStringParameters;',
      '  if (q.stall) await new Promise((r) => setTimeout(r, Number(q.stall)));',
      '  if (q.spin) for (;;);',
      '  running--;',
      '  return { statusCode: 200, body: JSON.stringify({ me, most, count, n: q.n ?? null }) };',
      '};',
      '',
    ].join('\n');
    const call = (pool: FunctionPool, query: Record<string, string>, remainingMs?: number) =>
      pool.invoke(syntheticEvent({ path: '/x', query }), context('fast', remainingMs)).then((r) => JSON.parse(r.body!) as { me: string; most: number; count: number; n: string | null });
    const warmUp = async (pool: FunctionPool) => {
      for (let i = 0; i < 25; i++) await call(pool, {});
    };

    it("a burst waits in one awake instance instead of waking more threads: each call gets its own answer, one at a time per instance", async () => {
      const { pool } = poolFor('fast', code, { maxInstances: 4 });
      try {
        await warmUp(pool);
        const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => call(pool, { n: String(i) })));
        expect(answers.map((a) => a.n)).toEqual(Array.from({ length: 60 }, (_, i) => String(i)));
        expect(new Set(answers.map((a) => a.me)).size).toBe(1);
        expect(pool.size()).toBe(1);
        expect(Math.max(...answers.map((a) => a.most))).toBe(1);
      } finally {
        await pool.close();
      }
    });

    it('calls waiting behind one that stalls are taken back and answered by another instance, long before it ends', async () => {
      const { pool } = poolFor('fast', code, { maxInstances: 4 });
      try {
        await warmUp(pool);
        const stalled = call(pool, { stall: '3000' });
        const started = performance.now();
        const others = await Promise.all(Array.from({ length: 6 }, (_, i) => call(pool, { n: String(i) })));
        // Another instance has to start for them (a thread, its runtime): seconds on a loaded machine, never the stall's 3 s.
        expect(performance.now() - started).toBeLessThan(2500);
        const stalledAnswer = await stalled;
        expect(others.every((a) => a.me !== stalledAnswer.me)).toBe(true);
        expect(others.map((a) => a.n)).toEqual(['0', '1', '2', '3', '4', '5']);
      } finally {
        await pool.close();
      }
    });

    it("a finished call's answer is not held back by the call after it, even one that never returns", async () => {
      const { pool } = poolFor('fast', code, { maxInstances: 1 });
      try {
        await warmUp(pool);
        // Dispatched in one turn: they reach the instance together, the first runs, then the spin.
        const first = call(pool, { n: 'first' });
        const spinning = pool.invoke(syntheticEvent({ path: '/x', query: { spin: '1' } }), context('fast', 1500));
        const answered = await Promise.race([first, new Promise<'held'>((r) => setTimeout(() => r('held'), 1000))]);
        expect(answered).toMatchObject({ n: 'first' });
        expect((await spinning).statusCode).toBe(504);
      } finally {
        await pool.close();
      }
    });

    it('a waiting call whose deadline passes gets its 504 without stopping the instance, and never runs', async () => {
      const { pool, lines } = poolFor('fast', code, { maxInstances: 1 });
      try {
        await warmUp(pool);
        const slow = call(pool, { stall: '400' }, 2000);
        await new Promise((r) => setTimeout(r, 5));
        const late = pool.invoke(syntheticEvent({ path: '/x', query: { n: 'late' } }), context('fast', 100));
        expect((await late).statusCode).toBe(504);
        const first = await slow;
        const after = await call(pool, { n: 'after' });
        expect(after.me).toBe(first.me);
        expect(after.count).toBe(first.count + 1); // the late call never ran
        expect(lines.some((l) => l.text.includes('instance terminated'))).toBe(false);
      } finally {
        await pool.close();
      }
    });
  });
});
