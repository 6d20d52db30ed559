import { describe, expect, it } from 'vitest';
import { json, startEmulator } from './helpers.js';

describe('emulator pause (snapshots)', () => {
  it('waits for running requests, holds new ones without failing them, lets admin requests through', async () => {
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((r) => (releaseSlow = r));
    let slowStarted!: () => void;
    const slowRunning = new Promise<void>((r) => (slowStarted = r));
    const order: string[] = [];
    const s = await startEmulator(
      [
        { name: 'slow', kind: 'sync', handler: async () => (slowStarted(), await slowGate, order.push('slow done'), json(200, { ok: true })) },
        { name: 'fast', kind: 'sync', handler: async () => (order.push('fast ran'), json(200, { ok: true })) },
      ],
      {
        mounts: [{ prefix: '/_/api/', handler: async (_req, res) => void res.end('admin') }],
      },
    );
    try {
      const slow = fetch(`${s.url}/.netlify/functions/slow`);
      await slowRunning;
      let pausedAt: number | undefined;
      const pausing = s.emulator.pause().then((resume) => ((pausedAt = order.length), order.push('paused'), resume));
      await new Promise((r) => setTimeout(r, 50));
      expect(pausedAt).toBeUndefined(); // the slow request is still running
      releaseSlow();
      const resume = await pausing;
      expect((await slow).status).toBe(200);

      const held = fetch(`${s.url}/.netlify/functions/fast`);
      const admin = await fetch(`${s.url}/_/api/clock`);
      expect(await admin.text()).toBe('admin'); // never held
      await new Promise((r) => setTimeout(r, 200));
      expect(order).toEqual(['slow done', 'paused']); // fast waits at the gate
      order.push('resumed');
      resume();
      expect((await held).status).toBe(200);
      expect(order).toEqual(['slow done', 'paused', 'resumed', 'fast ran']);
    } finally {
      await s.close();
    }
  });
});
