import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Clock } from '../clock.js';
import { functionTimeout } from '../emulator/timeout.js';
import type { NetlifyContext, NetlifyEvent, NetlifyResponse } from '../emulator/types.js';
import { crashFailure, handlerFailure, loadFailure, type FunctionFailure } from './failures.js';
import { CallClaims } from './call-claims.js';
import { fromMovedBody } from './moved-body.js';
import type { ConsoleLevel, Invocation, LoadMessage, SerializedError, WorkerData, WorkerMessage, WorkerSetup } from './messages.js';
import { TurnBatch } from './turn-batch.js';

/** Netlify's default memory per function instance. */
export const FUNCTION_MEMORY_MB = 1024;
/** Instances per function at most: concurrent requests beyond wait for one to free up. */
export const MAX_INSTANCES_PER_FUNCTION = 4;
/**
 * A function whose calls take less than this (a moving average) is fast: waiting calls are queued
 * in its busy instances (each still runs one at a time) rather than woken in more threads, whose
 * hand-offs would cost more than the calls themselves.
 */
export const FAST_CALL_MS = 1;
/** Calls queued in one instance of a fast function at most, besides the one it runs. */
export const QUEUED_PER_INSTANCE = 8;
/** Calls measured before a function counts as fast. */
const FAST_AFTER_CALLS = 20;
/** A call of a fast function still running after this long holds no others behind it. */
export const STALLED_CALL_MS = 20;

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
  claims: CallClaims;
}

/** Starts a worker thread running worker.js for `setup` (a blank one when its bundle is ''). */
export function startWorker(setup: WorkerSetup, env: Record<string, string>, memoryMb = FUNCTION_MEMORY_MB): InstanceThread {
  const { port1, port2 } = new MessageChannel();
  const claims = new CallClaims();
  const worker = new Worker(workerFile(), {
    workerData: { setup, port: port2, claims: claims.buffer } satisfies WorkerData,
    transferList: [port2],
    env,
    resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    stdout: true,
    stderr: true,
  });
  return { worker, port: port1, claims };
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
  message: Invocation;
  requestId: string;
  resolve(r: NetlifyResponse): void;
  reject(e: unknown): void;
  timer?: NodeJS.Timeout;
  instance?: Instance;
  queuedAt: number;
  /** When its instance began running it (it reached the head of the instance's queue). */
  startedAt?: number;
  /** performance.now() past which it gets its 504. */
  deadline: number;
}

interface Instance {
  worker: Worker;
  port: MessagePort;
  claims: CallClaims;
  /** Calls given to it in this turn of serve's event loop, sent together at its end. */
  outbox: TurnBatch<Invocation>;
  state: 'starting' | 'idle' | 'busy' | 'stopped';
  spawnedAt: number;
  /** How long it took to become ready, and when it was. */
  coldMs?: number;
  readyAt?: number;
  /** Started as the spare instance (its runtime was loaded ahead). */
  fromSpare?: boolean;
  served: number;
  /** What it was given, in order: the first runs, the others wait in it (fast functions only). */
  calls: Call[];
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
  /** Moving average of how long a call runs in its instance, and how many were measured. */
  private callMs = 0;
  private measured = 0;
  private stallTimer?: NodeJS.Timeout;

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
        deadline: performance.now() + remainingMs,
        resolve,
        reject,
        message: { id, slot: 0, event: plainEvent(event), params: context.params ?? {}, requestId: context.awsRequestId, remainingMs, now: this.spec.clock.now() },
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
    this.takeBackStalled();
    while (this.queue.length > 0 && !this.broken) {
      const fast = this.fast();
      const instance = fast ? this.forFastCall() : this.find('idle');
      if (instance) {
        this.run(instance, this.queue.shift()!);
        continue;
      }
      if (fast && this.moving()) return; // it takes more as it answers
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

  private fast(): boolean {
    return this.measured >= FAST_AFTER_CALLS && this.callMs < FAST_CALL_MS;
  }

  /**
   * Where a fast function's call goes: a busy instance with room (its thread is awake; waking
   * another would cost more than the wait), else an idle one.
   */
  private forFastCall(): Instance | undefined {
    let idle: Instance | undefined;
    const now = performance.now();
    for (const i of this.instances) {
      if (isMoving(i, now) && i.calls.length <= QUEUED_PER_INSTANCE) return i;
      if (i.state === 'idle') idle ??= i;
    }
    return idle;
  }

  /** Whether a busy instance is getting through its calls. */
  private moving(): boolean {
    const now = performance.now();
    for (const i of this.instances) if (isMoving(i, now)) return true;
    return false;
  }

  private spawn(useSpare: boolean): Instance {
    const spare = useSpare ? this.spec.spare?.() : undefined;
    const { worker, port, claims } = spare ?? startWorker(this.spec.setup, this.spec.env, this.spec.memoryMb);
    if (spare) port.postMessage(this.loadMessage());
    const outbox = new TurnBatch<Invocation>((calls) => port.postMessage({ t: 'invoke', calls }));
    const instance: Instance = { worker, port, claims, outbox, state: 'starting', spawnedAt: performance.now(), served: 0, calls: [], ...(spare ? { fromSpare: true } : {}) };
    this.instances.add(instance);
    port.on('message', (m: WorkerMessage) => this.onMessage(instance, m));
    worker.once('exit', () => port.close());
    worker.on('error', (err) => this.onCrash(instance, describeCrash(err), serialize(err)));
    worker.on('exit', (code) => this.onCrash(instance, `process.exit(${code}) was called`));
    // Raw writes to stdout/stderr join the log like console output does.
    worker.stdout.on('data', (d: Buffer) => this.log(instance.calls[0]?.requestId ?? null, 'log', d.toString('utf8').replace(/\n$/, '')));
    worker.stderr.on('data', (d: Buffer) => this.log(instance.calls[0]?.requestId ?? null, 'error', d.toString('utf8').replace(/\n$/, '')));
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
        const call = instance.calls[0];
        // An answer to a call that timed out (and was dropped) is ignored.
        if (!call || call.id !== m.id) return;
        instance.calls.shift();
        // The time it ran in its thread: what serve's own delays add would make a fast function look slow.
        this.measure(m.ms);
        if (m.t === 'result') this.settle(call, fromMovedBody(m.response));
        else this.settle(call, undefined, handlerFailure(this.name, m.error, this.spec.projectDir));
        const next = instance.calls[0];
        if (next) next.startedAt = performance.now();
        else this.idle(instance);
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

  private measure(ms: number): void {
    this.measured += 1;
    this.callMs = this.measured === 1 ? ms : this.callMs * 0.8 + ms * 0.2;
  }

  /** Gives `call` to `instance`: it runs now if the instance was idle, else after what it holds. */
  private run(instance: Instance, call: Call): void {
    instance.state = 'busy';
    instance.calls.push(call);
    if (instance.calls.length === 1) call.startedAt = performance.now();
    call.instance = instance;
    if (instance.served++ === 0) this.log(call.requestId, 'runtime', coldStartLine(instance, call));
    call.message.slot = instance.claims.queue();
    call.message.remainingMs = Math.max(0, call.deadline - performance.now());
    instance.outbox.add(call.message);
    if (instance.calls.length > 1) this.watchStalls();
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
    const [running, ...waiting] = instance.calls.splice(0);
    this.log(running?.requestId ?? null, 'runtime', `instance crashed (${why}); replaced on the next request`);
    if (running) this.settle(running, undefined, failure);
    this.requeue(instance, waiting, failure);
    this.pump();
  }

  private timedOut(call: Call, remainingMs: number): void {
    call.timer = undefined;
    const queued = this.queue.indexOf(call);
    if (queued >= 0) this.queue.splice(queued, 1);
    const instance = call.instance;
    const at = instance ? instance.calls.indexOf(call) : -1;
    if (instance && at >= 0 && instance.claims.takeBack(call.message.slot)) {
      // It never started (it waited behind others, or its instance had not reached it): the instance goes on.
      instance.calls.splice(at, 1);
      if (at === 0) {
        const next = instance.calls[0];
        if (next) next.startedAt = performance.now();
        else this.idle(instance);
      }
    } else if (instance && at >= 0) {
      this.log(call.requestId, 'runtime', `no answer within ${remainingMs} ms: instance terminated, replaced on the next request`);
      const waiting = instance.calls.splice(0).filter((c) => c !== call);
      void this.stop(instance);
      this.requeue(instance, waiting, crashFailure(this.name, 'its instance was stopped'));
    }
    this.settle(call, functionTimeout(this.name, remainingMs));
    this.pump();
  }

  /**
   * Calls that waited in `instance` go back to the front of the queue, in order, for another
   * instance; one it started meanwhile (it is stopping) fails with `failure` instead of running twice.
   */
  private requeue(instance: Instance, calls: Call[], failure: unknown): void {
    const back: Call[] = [];
    for (const call of calls) {
      call.instance = undefined;
      if (instance.claims.takeBack(call.message.slot)) back.push(call);
      else this.settle(call, undefined, failure);
    }
    this.queue.unshift(...back);
  }

  /**
   * A call that runs longer than a fast call should is not left holding others: the calls that
   * wait behind it go back to the queue (those it has not started), for another instance.
   */
  private takeBackStalled(): void {
    const now = performance.now();
    for (const i of this.instances) {
      if (i.calls.length < 2 || !isStalled(i, now)) continue;
      const kept = [i.calls[0]!];
      const back: Call[] = [];
      for (const call of i.calls.slice(1)) {
        if (i.claims.takeBack(call.message.slot)) {
          call.instance = undefined;
          back.push(call);
        } else kept.push(call);
      }
      i.calls = kept;
      this.queue.unshift(...back);
    }
  }

  /** While calls wait inside instances, checks for a stalled one every STALLED_CALL_MS. */
  private watchStalls(): void {
    if (this.stallTimer) return;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      this.pump();
      for (const i of this.instances) if (i.calls.length > 1) return this.watchStalls();
    }, STALLED_CALL_MS);
    this.stallTimer.unref();
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

/** Its running call has run longer than a fast call should. */
const isStalled = (i: Instance, now: number): boolean => now - i.calls[0]!.startedAt! >= STALLED_CALL_MS;
/** Busy on the current build with a call that is not stalled: it may take a fast function's calls. */
const isMoving = (i: Instance, now: number): boolean => i.state === 'busy' && !i.stale && !isStalled(i, now);

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
