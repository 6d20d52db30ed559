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
});
