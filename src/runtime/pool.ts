import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Clock } from '../clock.js';
import { functionTimeout } from '../emulator/timeout.js';
import type { NetlifyContext, NetlifyEvent, NetlifyResponse } from '../emulator/types.js';
import { crashFailure, handlerFailure, loadFailure, type FunctionFailure } from './failures.js';
import { fromMovedBody } from './moved-body.js';
import type { ConsoleLevel, InvokeMessage, LoadMessage, SerializedError, WorkerData, WorkerMessage, WorkerSetup } from './messages.js';

/** Netlify's default memory per function instance. */
export const FUNCTION_MEMORY_MB = 1024;
/** Instances per function at most: concurrent requests beyond wait for one to free up. */
export const MAX_INSTANCES_PER_FUNCTION = 4;

export type RuntimeLogLevel = ConsoleLevel | 'runtime';

export interface PoolLogLine {
  requestId: string | null;
  function: string;
  level: RuntimeLogLevel;
  text: string;
}

export interface PoolSpec {
  setup: WorkerSetup;
  /** The process.env each instance gets (not serve's own). */
  env: Record<string, string>;
  projectDir: string;
  clock: Clock;
  log(line: PoolLogLine): void;
  maxInstances?: number;
  memoryMb?: number;
  /**
   * A blank instance started ahead (runtime loaded, no function yet), taken instead of starting
   * one when a request would otherwise wait for a thread to start.
   */
  spare?: () => InstanceThread | undefined;
}

/**
 * An instance's thread and the channel its invocations and answers travel on: a MessagePort of
 * its own, whose native postMessage skips the Worker's wrapper and its re-emit of every message.
 */
export interface InstanceThread {
  worker: Worker;
  port: MessagePort;
}

/** Starts a worker thread running worker.js for `setup` (a blank one when its bundle is ''). */
export function startWorker(setup: WorkerSetup, env: Record<string, string>, memoryMb = FUNCTION_MEMORY_MB): InstanceThread {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(workerFile(), {
    workerData: { setup, port: port2 } satisfies WorkerData,
    transferList: [port2],
    env,
    resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    stdout: true,
    stderr: true,
  });
  return { worker, port: port1 };
}

/**
 * One blank instance kept ready (the thread started, the runtime, its interception and HTTP client
 * loaded; its environment comes with its function): a request that finds no instance of its
 * function (serve just started, a new file, a crash, a busy pool) then waits only for the
 * function's own module to load.
 */
export class SpareInstance {
  private thread?: InstanceThread;
  private closed = false;
  private timer?: NodeJS.Timeout;
  constructor(private readonly start: () => InstanceThread, private readonly refillDelayMs = 250) {}

  fill(): void {
    if (this.thread || this.closed) return;
    const thread = this.start();
    thread.worker.unref();
    thread.port.unref();
    // A spare that dies idle is just dropped (an unheard 'error' would end serve's process).
    thread.worker.on('error', () => undefined);
    thread.worker.once('exit', () => {
      if (this.thread === thread) this.thread = undefined;
      thread.port.close();
    });
    this.thread = thread;
  }

  take(): InstanceThread | undefined {
    const thread = this.thread;
    this.thread = undefined;
    thread?.worker.ref();
    thread?.port.ref();
    // The next spare starts once the taken one had its head start.
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fill(), this.refillDelayMs);
    this.timer.unref();
    return thread;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const thread = this.thread;
    this.thread = undefined;
    await thread?.worker.terminate();
  }
}

/** worker.js beside this file when built; from the TypeScript sources (tests), the built one in dist/. */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return fileURLToPath(new URL('./worker.js', import.meta.url));
  const built = fileURLToPath(new URL('../../dist/src/runtime/worker.js', import.meta.url));
  if (!existsSync(built)) throw new Error(`${built} is missing: run npx tsc -p tsconfig.json`);
  return built;
}

interface Call {
  id: number;
  message: InvokeMessage;
  requestId: string;
  resolve(r: NetlifyResponse): void;
  reject(e: unknown): void;
  timer?: NodeJS.Timeout;
  instance?: Instance;
  queuedAt: number;
}

interface Instance {
  worker: Worker;
  port: MessagePort;
  state: 'starting' | 'idle' | 'busy' | 'stopped';
  spawnedAt: number;
  /** How long it took to become ready, and when it was. */
  coldMs?: number;
  readyAt?: number;
  /** Started as the spare instance (its runtime was loaded ahead). */
  fromSpare?: boolean;
  served: number;
  call?: Call;
  /** Runs an older build: loads the current one as soon as it is free. */
  stale?: boolean;
  /** Has loaded a build after its first (the cold start log says so). */
  reloaded?: boolean;
  /** Told once the instance is ready or gone (warm-up waits on it). */
  onSettled?: () => void;
}

let nextCallId = 0;

/**
 * A warm, bounded pool of instances (worker threads) of one project function. Each instance runs
 * one invocation at a time and keeps its module state, like a Lambda container; a busy pool starts
 * another instance up to its bound. An instance that outlives its invocation's deadline, crashes
 * or exits is terminated and replaced on demand; serve's thread never runs project code.
 */
export class FunctionPool {
  private readonly instances = new Set<Instance>();
  private readonly queue: Call[] = [];
  private broken?: FunctionFailure;
  private closing = false;
  private readonly max: number;

  constructor(private readonly spec: PoolSpec) {
    this.max = spec.maxInstances ?? MAX_INSTANCES_PER_FUNCTION;
  }

  get name(): string {
    return this.spec.setup.name;
  }

  /** Instances alive (starting, idle or busy). */
  size(): number {
    return this.instances.size;
  }

  invoke(event: NetlifyEvent, context: NetlifyContext): Promise<NetlifyResponse> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<NetlifyResponse>((resolve, reject) => {
      const id = ++nextCallId;
      const remainingMs = context.getRemainingTimeInMillis();
      const call: Call = {
        id,
        requestId: context.awsRequestId,
        queuedAt: performance.now(),
        resolve,
        reject,
        message: { t: 'invoke', id, event: plainEvent(event), params: context.params ?? {}, requestId: context.awsRequestId, remainingMs, now: this.spec.clock.now() },
      };
      call.timer = setTimeout(() => this.timedOut(call, remainingMs), remainingMs);
      this.queue.push(call);
      this.pump();
    });
  }

  /**
   * A new build of the same function: each instance loads it in place as soon as it is free (its
   * packages stay loaded), so the next request runs the new code without a cold start's cost.
   */
  reload(setup: WorkerSetup): void {
    this.spec.setup = setup;
    this.broken = undefined;
    for (const instance of this.instances) {
      if (instance.state === 'idle') this.loadInPlace(instance);
      else instance.stale = true;
    }
    if (this.instances.size === 0) void this.warm();
  }

  private loadInPlace(instance: Instance): void {
    instance.stale = false;
    instance.state = 'starting';
    instance.spawnedAt = performance.now();
    instance.served = 0;
    instance.reloaded = true;
    instance.port.postMessage(this.loadMessage());
  }

  private loadMessage(): LoadMessage {
    return { t: 'load', setup: this.spec.setup, env: this.spec.env };
  }

  /** After a reload: instances finish what they run (and what waits), then stop. */
  async retire(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.instances].filter((i) => i.state !== 'busy' && i.state !== 'starting').map((i) => this.stop(i)));
  }

  /** Terminates every instance; invocations still running or waiting fail. */
  async close(): Promise<void> {
    this.closing = true;
    for (const call of this.queue.splice(0)) this.settle(call, undefined, crashFailure(this.name, 'serve reloaded or stopped the function'));
    await Promise.all([...this.instances].map((i) => this.stop(i)));
  }

  /**
   * Starts one instance ahead of the first request; resolves once it is ready (or could not
   * start). `spare: false` leaves the spare instance to requests (serve's start warms every function).
   */
  warm(opts: { spare?: boolean } = {}): Promise<void> {
    if (this.broken || this.closing || this.instances.size > 0) return Promise.resolve();
    const instance = this.spawn(opts.spare ?? true);
    return new Promise<void>((resolve) => {
      instance.onSettled = resolve;
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.broken) {
      const idle = this.find('idle');
      if (idle) {
        this.run(idle, this.queue.shift()!);
        continue;
      }
      let starting = 0;
      for (const i of this.instances) if (i.state === 'starting') starting++;
      if (starting >= this.queue.length || this.instances.size >= this.max) return;
      this.spawn(true);
    }
  }

  private find(state: Instance['state']): Instance | undefined {
    for (const i of this.instances) if (i.state === state) return i;
    return undefined;
  }

  private spawn(useSpare: boolean): Instance {
    const spare = useSpare ? this.spec.spare?.() : undefined;
    const { worker, port } = spare ?? startWorker(this.spec.setup, this.spec.env, this.spec.memoryMb);
    if (spare) port.postMessage(this.loadMessage());
    const instance: Instance = { worker, port, state: 'starting', spawnedAt: performance.now(), served: 0, ...(spare ? { fromSpare: true } : {}) };
    this.instances.add(instance);
    port.on('message', (m: WorkerMessage) => this.onMessage(instance, m));
    worker.once('exit', () => port.close());
    worker.on('error', (err) => this.onCrash(instance, describeCrash(err), serialize(err)));
    worker.on('exit', (code) => this.onCrash(instance, `process.exit(${code}) was called`));
    // Raw writes to stdout/stderr join the log like console output does.
    worker.stdout.on('data', (d: Buffer) => this.log(instance.call?.requestId ?? null, 'log', d.toString('utf8').replace(/\n$/, '')));
    worker.stderr.on('data', (d: Buffer) => this.log(instance.call?.requestId ?? null, 'error', d.toString('utf8').replace(/\n$/, '')));
    return instance;
  }

  private onMessage(instance: Instance, m: WorkerMessage): void {
    switch (m.t) {
      case 'ready':
        instance.readyAt = performance.now();
        instance.coldMs = instance.readyAt - instance.spawnedAt;
        instance.onSettled?.();
        this.idle(instance);
        return;
      case 'load-error':
        instance.onSettled?.();
        this.fail(loadFailure(this.name, m.error, this.spec.projectDir));
        void this.stop(instance);
        return;
      case 'log':
        this.log(m.requestId, m.level, m.text);
        return;
      case 'result':
      case 'error': {
        const call = instance.call;
        if (!call || call.id !== m.id) return;
        instance.call = undefined;
        if (m.t === 'result') this.settle(call, fromMovedBody(m.response));
        else this.settle(call, undefined, handlerFailure(this.name, m.error, this.spec.projectDir));
        this.idle(instance);
        return;
      }
    }
  }

  /** Free again: it takes the next waiting call; a retired pool's instance with nothing to do stops. */
  private idle(instance: Instance): void {
    if (instance.stale) return this.loadInPlace(instance);
    instance.state = 'idle';
    this.pump();
    if (this.closing && instance.state === 'idle') void this.stop(instance);
  }

  private run(instance: Instance, call: Call): void {
    instance.state = 'busy';
    instance.call = call;
    call.instance = instance;
    if (instance.served++ === 0) this.log(call.requestId, 'runtime', coldStartLine(instance, call));
    instance.port.postMessage(call.message);
  }

  private onCrash(instance: Instance, why: string, err?: SerializedError): void {
    instance.onSettled?.();
    if (instance.state === 'stopped') return;
    const wasStarting = instance.state === 'starting';
    instance.state = 'stopped';
    this.instances.delete(instance);
    void instance.worker.terminate();
    const failure = crashFailure(this.name, why, err, this.spec.projectDir);
    if (wasStarting && !this.closing) {
      // Dying while loading would die again: the function stays failed until its next build.
      this.fail(loadFailure(this.name, err ?? { name: 'Error', message: why }, this.spec.projectDir));
      return;
    }
    this.log(instance.call?.requestId ?? null, 'runtime', `instance crashed (${why}); replaced on the next request`);
    if (instance.call) this.settle(instance.call, undefined, failure);
    this.pump();
  }

  private timedOut(call: Call, remainingMs: number): void {
    call.timer = undefined;
    const queued = this.queue.indexOf(call);
    if (queued >= 0) this.queue.splice(queued, 1);
    const instance = call.instance;
    if (instance && instance.call === call) {
      instance.call = undefined;
      this.log(call.requestId, 'runtime', `no answer within ${remainingMs} ms: instance terminated, replaced on the next request`);
      void this.stop(instance);
    }
    this.settle(call, functionTimeout(this.name, remainingMs));
    this.pump();
  }

  /** Every waiting call fails with `failure`, and so does every later one until the next build. */
  private fail(failure: FunctionFailure): void {
    this.broken = failure;
    this.log(null, 'runtime', failure.message);
    for (const call of this.queue.splice(0)) this.settle(call, undefined, failure);
  }

  private settle(call: Call, response?: NetlifyResponse, error?: unknown): void {
    if (call.timer) clearTimeout(call.timer);
    call.timer = undefined;
    if (error) call.reject(error);
    else call.resolve(response!);
  }

  private stop(instance: Instance): Promise<void> {
    instance.onSettled?.();
    instance.state = 'stopped';
    this.instances.delete(instance);
    return instance.worker.terminate().then(() => undefined, () => undefined);
  }

  private log(requestId: string | null, level: RuntimeLogLevel, text: string): void {
    this.spec.log({ requestId, function: this.name, level, text });
  }
}

/**
 * The first call of an instance, as the request saw it: a cold start is the time it waited for the
 * instance; an instance started ahead of it cost the request nothing.
 */
function coldStartLine(instance: Instance, call: Call): string {
  const ms = (n: number): string => `${Math.round(n)} ms`;
  const what = instance.reloaded ? 'new build loaded in the warm instance' : instance.fromSpare ? "function loaded in a spare instance" : 'instance started and module loaded';
  if (instance.readyAt !== undefined && instance.readyAt <= call.queuedAt) return `first call of an instance ready ahead of it (${what} in ${ms(instance.coldMs ?? 0)})`;
  return `cold start: ${ms(performance.now() - call.queuedAt)} (${what} in ${ms(instance.coldMs ?? 0)})`;
}

function describeCrash(err: Error & { code?: string }): string {
  if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') return `it ran out of memory (${err.message})`;
  return `uncaught ${err.name}: ${err.message}`;
}

const serialize = (err: Error): SerializedError => ({ name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) });

/** The event as plain data (serve's HTTP event computes some fields on access); postMessage copies it. */
function plainEvent(e: NetlifyEvent): NetlifyEvent {
  return {
    rawUrl: e.rawUrl,
    rawQuery: e.rawQuery,
    path: e.path,
    httpMethod: e.httpMethod,
    headers: e.headers,
    multiValueHeaders: e.multiValueHeaders,
    queryStringParameters: e.queryStringParameters,
    multiValueQueryStringParameters: e.multiValueQueryStringParameters,
    body: e.body,
    isBase64Encoded: e.isBase64Encoded,
  };
}
