import { createFunctionRegistry, type FunctionDef } from '../../src/emulator/functions.js';
import { defaultNetlifyTomlPath, loadRedirects } from '../../src/emulator/redirects.js';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/server.js';
import type { Handler, NetlifyResponse } from '../../src/emulator/types.js';

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): NetlifyResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** A handler that echoes what it received, so tests see the event and context. */
export const echo: Handler = async (event, context) =>
  json(200, {
    functionName: context.functionName,
    params: context.params,
    method: event.httpMethod,
    path: event.path,
    rawQuery: event.rawQuery,
    query: event.queryStringParameters,
    multiQuery: event.multiValueQueryStringParameters,
    body: event.body,
    isBase64Encoded: event.isBase64Encoded,
    authorization: event.headers.authorization ?? null,
    remainingMs: context.getRemainingTimeInMillis(),
  });

export const FIXTURE_FUNCTIONS = [
  'api-activities',
  'api-streams',
  'ai-brief',
  'oauth-strava-token-exchange',
  'auth-refresh-token',
  'strava-webhook',
];

export interface Started {
  emulator: Emulator;
  url: string;
  close(): Promise<void>;
}

/** Starts an emulator on port 0 with the fixture netlify.toml, the echo handler behind every route, plus `extra`. */
export async function startEmulator(extra: FunctionDef[] = [], options: Partial<EmulatorOptions> = {}): Promise<Started> {
  const defs: FunctionDef[] = [
    ...FIXTURE_FUNCTIONS.filter((n) => !extra.some((e) => e.name === n)).map((name): FunctionDef => ({ name, kind: 'sync', handler: echo })),
    ...extra,
  ];
  const emulator = createEmulator({
    functions: createFunctionRegistry(defs),
    redirects: loadRedirects(defaultNetlifyTomlPath()),
    ...options,
  });
  const { url } = await emulator.listen(0, '127.0.0.1');
  let closed = false;
  return {
    emulator,
    url,
    async close() {
      if (closed) return;
      closed = true;
      await emulator.close(1000);
    },
  };
}

/** Polls until `check` returns a value (real time, short): for jobs that finish on their own. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
