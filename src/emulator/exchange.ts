import type { IncomingMessage, ServerResponse } from 'node:http';

/** Bytes of each body kept for the inspector: enough to read a JSON answer, bounded per request. */
export const EXCHANGE_BODY_BYTES = 16 * 1024;

/**
 * A raw copy of one request and its answer (headers, the first bytes of each body), taken only
 * while an inspector watches (RequestLog.capturing); secrets are redacted when it is shown.
 */
export interface Exchange {
  requestHeaders: Record<string, string | string[] | undefined>;
  /** The request body as the function read it (null when none, or a mount read it itself). */
  requestBody: Buffer | null;
  requestBytes: number;
  /** False when a mount (blobs, Supabase, fake Strava) read the body itself: it was not kept. */
  requestBodyKept: boolean;
  responseHeaders: Record<string, string | string[] | number | undefined>;
  responseBody: Buffer;
  /** Bytes the answer really had (responseBody holds at most EXCHANGE_BODY_BYTES of them). */
  responseBytes: number;
}

type Chunk = string | Uint8Array | undefined | ((...args: unknown[]) => void);

/** Starts copying `res` as it is written: writeHead's headers and the first bytes of the body. */
export function captureExchange(req: IncomingMessage, res: ServerResponse, capBytes = EXCHANGE_BODY_BYTES): Exchange {
  const exchange: Exchange = { requestHeaders: { ...req.headers }, requestBody: null, requestBytes: 0, requestBodyKept: false, responseHeaders: {}, responseBody: Buffer.alloc(0), responseBytes: 0 };
  const parts: Buffer[] = [];
  let kept = 0;
  const copy = (chunk: Chunk): void => {
    if (chunk === undefined || typeof chunk === 'function') return;
    if (kept >= capBytes) {
      // Full: only counted (a long stream, such as server-sent events, costs no copies).
      exchange.responseBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      return;
    }
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    exchange.responseBytes += buf.byteLength;
    const part = Buffer.from(buf.subarray(0, capBytes - kept));
    parts.push(part);
    kept += part.byteLength;
  };
  const writeHead = res.writeHead;
  const write = res.write;
  const end = res.end;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    const headers = args.find((a, i) => i > 0 && typeof a === 'object' && a !== null && !Array.isArray(a)) as Record<string, string | string[] | number> | undefined;
    exchange.responseHeaders = { ...res.getHeaders(), ...headers };
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
  res.write = function (this: ServerResponse, chunk: Chunk, ...rest: unknown[]) {
    copy(chunk);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, chunk?: Chunk, ...rest: unknown[]) {
    copy(chunk);
    if (Object.keys(exchange.responseHeaders).length === 0) exchange.responseHeaders = { ...res.getHeaders() };
    exchange.responseBody = Buffer.concat(parts);
    return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse['end'];
  return exchange;
}

/** The request body kept, at most `capBytes` of it. */
export function keepRequestBody(exchange: Exchange, body: Buffer | null, capBytes = EXCHANGE_BODY_BYTES): void {
  exchange.requestBody = body && Buffer.from(body.subarray(0, capBytes));
  exchange.requestBytes = body?.byteLength ?? 0;
  exchange.requestBodyKept = true;
}
