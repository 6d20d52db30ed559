import type { IncomingMessage, ServerResponse } from 'node:http';

/** A comment line now and then keeps proxies and idle timers from closing a quiet stream. */
export const KEEPALIVE_MS = 15_000;

export interface EventStream {
  send(event: string, data: unknown): void;
  onClose(fn: () => void): void;
}

/**
 * Server-sent events on `res`. The handler returns at once, leaving the response open, so the
 * emulator does not count the stream as a request in flight (shutdown cuts it with the rest).
 */
export function openEventStream(req: IncomingMessage, res: ServerResponse): EventStream {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  res.write(': connected\n\n');
  const closers: Array<() => void> = [];
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(keepalive);
    for (const fn of closers) fn();
  };
  req.on('close', close);
  res.on('close', close);
  return {
    send(event, data) {
      if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    onClose: (fn) => closers.push(fn),
  };
}
