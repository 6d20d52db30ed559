import type { NetlifyEvent, NetlifyResponse } from '../emulator/types.js';
import type { WorkerSetup } from './messages.js';

/** What Netlify adds to a Lambda-compatible event: the Blobs context rides on the event, not the environment. */
export interface LambdaEvent extends NetlifyEvent {
  /** base64 JSON `{ url, token }`: what `connectLambda(event)` of @netlify/blobs reads. */
  blobs: string;
}

/**
 * The v1 event for serve's event: `event.blobs` plus the `x-nf-site-id` / `x-nf-deploy-id` headers
 * connectLambda needs. The event is the worker's own copy (it arrived by message): it is completed
 * in place, not copied again.
 */
export function lambdaEvent(event: NetlifyEvent, blobs: WorkerSetup['blobs']): LambdaEvent {
  event.headers['x-nf-site-id'] = blobs.siteID;
  event.headers['x-nf-deploy-id'] = blobs.deployID;
  event.multiValueHeaders['x-nf-site-id'] = [blobs.siteID];
  event.multiValueHeaders['x-nf-deploy-id'] = [blobs.deployID];
  return Object.assign(event, { blobs: blobsContext(blobs) });
}

let encoded: { for: WorkerSetup['blobs']; value: string } | undefined;

/** base64 JSON `{ url, token }`, computed once per setup (it changes only on reload). */
function blobsContext(blobs: WorkerSetup['blobs']): string {
  if (encoded?.for !== blobs) encoded = { for: blobs, value: Buffer.from(JSON.stringify({ url: blobs.url, token: blobs.token }), 'utf8').toString('base64') };
  return encoded.value;
}

export type LambdaHandler = (event: LambdaEvent, context: Record<string, unknown>, callback?: (err: unknown, result?: unknown) => void) => unknown;

/** Calls a v1 handler as Lambda does: its promise, or its callback when it takes one and returns nothing. */
export function callLambda(handler: LambdaHandler, event: LambdaEvent, context: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err: unknown, result?: unknown): void => {
      if (settled) return;
      settled = true;
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(result);
    };
    const returned = handler(event, context, callback);
    if (returned !== undefined || handler.length < 3) {
      Promise.resolve(returned).then((r) => callback(null, r), (e: unknown) => callback(e ?? new Error('the handler rejected')));
    }
  });
}

/** Checks a v1 result the way Netlify does and turns it into serve's response. */
export function lambdaResponse(result: unknown): NetlifyResponse {
  if (typeof result !== 'object' || result === null) {
    throw new InvalidResponseError(`the handler returned ${result === undefined ? 'nothing' : typeof result}; return { statusCode, headers?, body? }`);
  }
  const r = result as Record<string, unknown>;
  if (typeof r.statusCode !== 'number' || !Number.isInteger(r.statusCode)) throw new InvalidResponseError('the result has no numeric statusCode');
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') throw new InvalidResponseError(`body must be a string, got ${typeof r.body}`);
  return {
    statusCode: r.statusCode,
    ...(isObject(r.headers) ? { headers: r.headers as NetlifyResponse['headers'] } : {}),
    ...(isObject(r.multiValueHeaders) ? { multiValueHeaders: r.multiValueHeaders as NetlifyResponse['multiValueHeaders'] } : {}),
    ...(typeof r.body === 'string' ? { body: r.body } : {}),
    ...(r.isBase64Encoded === true ? { isBase64Encoded: true } : {}),
  };
}

export class InvalidResponseError extends Error {
  override readonly name = 'InvalidResponseError';
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null;
