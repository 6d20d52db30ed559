/**
 * One instance of one project function, in its own worker thread (as one Lambda container): it
 * loads the bundle once and answers invocations one at a time, keeping module state between them.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { workerData } from 'node:worker_threads';
import { claimCall } from './call-claims.js';
import { forwardConsole } from './console-forward.js';
import { callLambda, lambdaEvent, lambdaResponse, type LambdaHandler } from './lambda.js';
import type { Invocation, InvokeMessage, LoadMessage, SerializedError, WorkerData, WorkerMessage } from './messages.js';
import { withMovableBody } from './moved-body.js';
import { installNetlifyGlobal } from './netlify-global.js';
import { installOutbound } from './outbound.js';
import { fromWebResponse, v2Context, webRequest } from './v2.js';
import { installVirtualTime } from './virtual-time.js';
import { warmHttpClient } from './warm-http.js';
import type { NetlifyResponse } from '../emulator/types.js';

const data = workerData as WorkerData;
let setup = data.setup;
const port = data.port;
const claims = new Int32Array(data.claims);
const post = (m: WorkerMessage): void => port.postMessage(m);
/** The answer, its large body moved rather than copied (moved-body.ts). */
function postResult(id: number, result: NetlifyResponse, ms: number): void {
  const { response, transfer } = withMovableBody(result);
  port.postMessage({ t: 'result', id, response, ms } satisfies WorkerMessage, transfer);
}
let currentRequest: string | null = null;

process.setSourceMapsEnabled(true);
forwardConsole(post, () => currentRequest);
const time = installVirtualTime();
installNetlifyGlobal();
const setOutbound = installOutbound(setup.outbound);

/** What a fresh container of this function would have: exactly its environment, its CommonJS globals. */
function prepare(env: Record<string, string | undefined>): void {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  Object.assign(process.env, env);
  // Lambda-compatible functions get the Blobs context only through their event, as on Netlify.
  if (setup.form === 'v1') delete process.env.NETLIFY_BLOBS_CONTEXT;
  // CommonJS code inside the ESM bundle: require resolves from the project, __dirname names the source's folder.
  Object.assign(globalThis, { require: createRequire(setup.bundle), __filename: setup.source, __dirname: dirname(setup.source) });
}

/** The error as data; a cause's message joins it (fetch's "fetch failed" says why only in its cause). */
function serialize(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return { name: err.name, message: `${err.message}${cause}`, ...(err.stack ? { stack: err.stack } : {}) };
}

type V2Handler = (req: Request, context: unknown) => unknown;

/** A v2 default export: the handler itself, or an object whose `fetch` method is (bound to it, as Netlify calls it). */
function v2Handler(exported: unknown): unknown {
  if (typeof exported === 'function') return exported;
  const fetchMethod = (exported as { fetch?: unknown } | null | undefined)?.fetch;
  return typeof fetchMethod === 'function' ? (fetchMethod as V2Handler).bind(exported) : undefined;
}

async function load(env: Record<string, string | undefined>): Promise<LambdaHandler | V2Handler | undefined> {
  const started = performance.now();
  prepare(env);
  try {
    const mod = (await import(pathToFileURL(setup.bundle).href)) as { handler?: unknown; default?: unknown };
    const fn = setup.form === 'v2' ? v2Handler(mod.default) : (mod.handler ?? (mod.default as { handler?: unknown } | undefined)?.handler);
    if (typeof fn !== 'function') {
      post({ t: 'load-error', error: { name: 'TypeError', message: setup.form === 'v2' ? 'the default export is neither a function nor an object with a fetch method' : 'the `handler` export is not a function' } });
      return undefined;
    }
    post({ t: 'ready', loadMs: performance.now() - started });
    return fn as LambdaHandler | V2Handler;
  } catch (err) {
    post({ t: 'load-error', error: serialize(err) });
    return undefined;
  }
}

async function invoke(fn: LambdaHandler | V2Handler, m: Invocation): Promise<void> {
  currentRequest = m.requestId;
  time.sync(m.now);
  const started = performance.now();
  const deadline = started + m.remainingMs;
  /** How long the call ran here (serve tells fast functions by it). */
  const ran = (): number => performance.now() - started;
  try {
    if (setup.form === 'v1') {
      const context = {
        functionName: setup.name,
        awsRequestId: m.requestId,
        callbackWaitsForEmptyEventLoop: true,
        clientContext: {},
        getRemainingTimeInMillis: () => Math.max(0, Math.round(deadline - performance.now())),
      };
      const result = await callLambda(fn as LambdaHandler, lambdaEvent(m.event, setup.blobs), context);
      postResult(m.id, setup.background && result === undefined ? { statusCode: 200 } : lambdaResponse(result), ran());
    } else {
      const request = webRequest(m.event);
      const pending: Array<Promise<unknown>> = [];
      const context = v2Context({ request, params: m.params, requestId: m.requestId, setup, waitUntil: (p) => void pending.push(Promise.resolve(p).catch((e: unknown) => console.error(e))) });
      const result = await (fn as V2Handler)(request, context);
      postResult(m.id, setup.background && !(result instanceof Response) ? { statusCode: 200 } : await fromWebResponse(result, context.cookies), ran());
    }
  } catch (err) {
    post({ t: 'error', id: m.id, error: serialize(err), ms: ran() });
  }
}

/**
 * A reload imports the new bundle into this same instance: the project's modules are evaluated
 * afresh (a new file), while the packages they import stay loaded, so a save costs milliseconds.
 */
// The HTTP client warms before any project code runs (so it sees nothing of it); a spare
// instance (no bundle yet) then waits for its function.
await warmHttpClient();
let fn = setup.bundle ? await load({ ...process.env }) : undefined;
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: InvokeMessage | LoadMessage) => {
  if (m.t === 'load') {
    setup = m.setup;
    setOutbound(setup.outbound);
    void load(m.env).then((next) => {
      fn = next;
    });
  } else if (fn) {
    // One invocation at a time, as a Lambda container runs them: serve may queue calls of a fast
    // function here; one whose deadline passed while it waited was already answered (504) by serve.
    const received = performance.now();
    const run = fn;
    for (const call of m.calls) {
      queue = queue.then(() => {
        const waited = performance.now() - received;
        // Serve may have taken it back meanwhile (its deadline passed, or this instance seemed stuck).
        if (waited >= call.remainingMs || !claimCall(claims, call.slot)) return undefined;
        return invoke(run, waited < 1 ? call : { ...call, remainingMs: call.remainingMs - waited, now: call.now + waited });
      });
    }
  }
});
