import type { MessagePort } from 'node:worker_threads';
import type { NetlifyEvent, NetlifyResponse } from '../emulator/types.js';

/** How the project's module exports its function: Lambda-compatible `handler` (v1) or `export default` (v2). */
export type FunctionForm = 'v1' | 'v2';

/** What a worker needs to load one project function. */
export interface WorkerSetup {
  name: string;
  /** The bundle esbuild wrote (inside the project, so its packages resolve from the project's node_modules). */
  bundle: string;
  /** The function's own source file (for `__filename`, `__dirname` and messages). */
  source: string;
  form: FunctionForm;
  /** A background function's result is ignored (it may return nothing). */
  background: boolean;
  /** Where the official @netlify/blobs client reaches serve's blob store. */
  blobs: { url: string; token: string; siteID: string; deployID: string };
  site: { id: string; name: string; url: string };
  outbound: { rewrites: Record<string, string>; online: boolean };
}

/** A worker's `workerData`: its function (blank for a spare instance) and its end of the channel. */
export interface WorkerData {
  setup: WorkerSetup;
  port: MessagePort;
  /** The call claims it shares with serve (call-claims.ts). */
  claims: SharedArrayBuffer;
}

/**
 * Serve's thread → worker: calls to run in order. The calls serve dispatches to one instance in one
 * turn of its event loop travel together: each message wakes the instance's thread, and on a busy
 * serve a message per call cost more than the calls themselves.
 */
export interface InvokeMessage {
  t: 'invoke';
  calls: Invocation[];
}

/** One call of the function. */
export interface Invocation {
  id: number;
  event: NetlifyEvent;
  params: Record<string, string>;
  requestId: string;
  /** Its slot in the call claims: the instance starts it only if it wins the slot. */
  slot: number;
  /** Milliseconds the invocation may still run. */
  remainingMs: number;
  /** serve's `clock.now()` at dispatch: project code sees this time plus what elapsed since. */
  now: number;
}

/** Serve's thread → worker: load this bundle (rebuilt, or a spare instance's first) with this environment. */
export interface LoadMessage {
  t: 'load';
  setup: WorkerSetup;
  env: Record<string, string>;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

/**
 * Worker → serve's thread. A call's answer goes out as soon as it is known, never held for the
 * next: a later call that never returns would otherwise take a finished call's answer with it.
 */
export type WorkerMessage =
  | { t: 'ready'; loadMs: number }
  | { t: 'load-error'; error: SerializedError }
  | { t: 'result'; id: number; response: NetlifyResponse; ms: number }
  | { t: 'error'; id: number; error: SerializedError; ms: number }
  | { t: 'log'; requestId: string | null; level: ConsoleLevel; text: string };

export type ConsoleLevel = 'log' | 'info' | 'warn' | 'error' | 'debug' | 'trace';
