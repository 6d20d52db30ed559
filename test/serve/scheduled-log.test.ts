import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Output } from '../../src/cli/output.js';
import { attachServeUi } from '../../src/serve/ui.js';
import { startTestServe, type TestServe } from './helpers.js';

function capture(json: boolean): { out: Output; text: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let text = '';
  stdout.on('data', (d: Buffer) => (text += d.toString()));
  stderr.resume();
  return { out: new Output({ json, color: false, verbose: false, stdout, stderr }), text: () => text };
}

describe('scheduled runs in plain and --no-ui output', () => {
  let serve: TestServe;
  beforeAll(async () => {
    serve = await startTestServe();
  }, 60_000);
  afterAll(() => serve?.stop());

  it('each run is one line with its function, result, status and duration', async () => {
    const { out, text } = capture(false);
    const ui = await attachServeUi(out, serve, { ui: false });
    try {
      await serve.scheduler.runNow('cleanup');
      expect(text()).toMatch(/^\S+Z scheduled cleanup ok 200 \d+\.\dms$/m);
    } finally {
      await ui.close();
    }
  });

  it('with --json: one {"type":"scheduled"} line beside the request lines', async () => {
    const { out, text } = capture(true);
    const ui = await attachServeUi(out, serve, { ui: false });
    try {
      await serve.scheduler.runNow('nightly-reconcile');
      const line = text().split('\n').find((l) => l.includes('"type":"scheduled"'))!;
      expect(JSON.parse(line)).toMatchObject({ type: 'scheduled', function: 'nightly-reconcile', result: 'ok', status: 200, ms: expect.any(Number) });
    } finally {
      await ui.close();
    }
  });
});
