import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { syntheticEvent } from '../../src/emulator/invoke.js';
import { createRequestLog, type ConsoleLogEntry } from '../../src/emulator/request-log.js';
import { createProjectRuntime } from '../../src/runtime/project.js';
import { copySite } from './helpers.js';

const site = copySite();
afterAll(() => site.remove());

describe('instances ready for the first requests', () => {
  it('a request arriving as serve starts, before its function is warmed, runs in the spare instance started with the builds, with its own environment', async () => {
    writeFileSync(
      join(site.dir, 'netlify/functions/env-echo.mjs'),
      'export const handler = async () => ({ statusCode: 200, body: JSON.stringify({ flag: process.env.FEATURE_FLAG ?? null, blobs: process.env.NETLIFY_BLOBS_CONTEXT ?? null }) });\n',
    );
    const log = createRequestLog();
    const lines: ConsoleLogEntry[] = [];
    log.subscribe((e) => e.type === 'console' && lines.push(e));
    // As serve does: the runtime (builds) before it listens, connect() once it knows its URL.
    const runtime = await createProjectRuntime({ projectDir: site.dir, builtins: [], clock: systemClock, log });
    try {
      runtime.connect({
        env: { FEATURE_FLAG: 'on', NETLIFY_BLOBS_CONTEXT: 'e30=' },
        blobs: { url: 'http://127.0.0.1:9', token: 't', siteID: 's', deployID: '0' },
        site: { id: 's', name: 's', url: 'http://127.0.0.1:9' },
        outbound: { rewrites: {}, online: false },
      });
      const context = { functionName: 'env-echo', awsRequestId: '01JREQUEST0000000000000000', params: {}, getRemainingTimeInMillis: () => 30_000 };
      const res = await runtime.functions.get('env-echo')!.handler(syntheticEvent({ path: '/.netlify/functions/env-echo' }), context);
      // The spare started without an environment: the function's came with it, Blobs context left out for a v1 function.
      expect(JSON.parse(res.body!)).toEqual({ flag: 'on', blobs: null });
      const first = lines.find((e) => e.function === 'env-echo' && e.level === 'runtime');
      expect(first?.text).toMatch(/^cold start: \d+ ms \(function loaded in a spare instance in \d+ ms\)$/);
    } finally {
      await runtime.close();
    }
  });
});
