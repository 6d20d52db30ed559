import { redactPath, redactText } from '../util/redact.js';
import type { Exchange } from './exchange.js';

/** One answered HTTP request, as the dashboard and the JSON line logger see it. */
export interface RequestLogEntry {
  type: 'request';
  /** ISO time the request arrived. */
  time: string;
  requestId: string;
  method: string;
  /** Path and query, secrets redacted. */
  path: string;
  /** The function that answered, or null (mounts, 404s, the job API). */
  function: string | null;
  status: number;
  ms: number;
  cache: 'HIT' | 'MISS' | null;
  jobId?: string;
  /** The machine's ISO time, present only when serve's (virtual) clock differs from it. */
  realTime?: string;
}

/** A handler failure; the stack appears here and nowhere else. */
export interface ErrorLogEntry {
  type: 'error';
  time: string;
  requestId: string;
  function: string | null;
  status: number;
  message: string;
  stack?: string;
}

/** A line a project function wrote (console.*), or serve's own note about one (cold start, reload, build error). */
export interface ConsoleLogEntry {
  type: 'console';
  time: string;
  /** The request the instance was serving, or null (a reload, a line written between requests). */
  requestId: string | null;
  function: string;
  level: 'log' | 'info' | 'warn' | 'error' | 'debug' | 'trace' | 'runtime';
  text: string;
}


/** Something serve did on its own worth a line (a clock change, a capped catch-up, a snapshot). */
export interface NoticeLogEntry {
  type: 'notice';
  time: string;
  message: string;
  realTime?: string;
}

export type LogEntry = RequestLogEntry | ErrorLogEntry | ConsoleLogEntry | NoticeLogEntry;
export type LogListener = (entry: LogEntry) => void;
export type ExchangeListener = (entry: RequestLogEntry, exchange: Exchange) => void;

export interface RequestLog {
  subscribe(listener: LogListener): () => void;
  /**
   * True while someone watches exchanges (the inspector): only then does the emulator copy
   * headers and bodies, so serving pays nothing for the inspector when no one looks.
   */
  readonly capturing: boolean;
  /** Each request entry with its captured exchange, while subscribed. */
  subscribeExchanges(listener: ExchangeListener): () => void;
  /** Emits a request entry; `path` is redacted here so callers may pass the raw one. */
  request(entry: Omit<RequestLogEntry, 'type' | 'path' | 'cache'> & { path: string; cache?: string | null; exchange?: Exchange | undefined }): void;
  error(entry: Omit<ErrorLogEntry, 'type' | 'message' | 'stack'> & { error: unknown }): void;
  /** Emits a function's console line; `text` is redacted here. */
  console(entry: Omit<ConsoleLogEntry, 'type'>): void;
  notice(entry: Omit<NoticeLogEntry, 'type'>): void;
  /** The last entries (newest last), for a dashboard that attaches late. */
  recent(): readonly LogEntry[];
}

const RECENT_ENTRIES = 200;

export function createRequestLog(options: { keepRecent?: number } = {}): RequestLog {
  const keep = options.keepRecent ?? RECENT_ENTRIES;
  const listeners = new Set<LogListener>();
  const exchangeListeners = new Set<ExchangeListener>();
  // A ring: shifting a full array on every request would move `keep` entries each time.
  const ring: LogEntry[] = [];
  let next = 0;

  const emit = (entry: LogEntry): void => {
    if (keep > 0) {
      ring[next] = entry;
      next = (next + 1) % keep;
    }
    for (const listener of listeners) {
      try {
        listener(entry);
      } catch {
        /* a broken subscriber must not break serving */
      }
    }
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get capturing() {
      return exchangeListeners.size > 0;
    },
    subscribeExchanges(listener) {
      exchangeListeners.add(listener);
      return () => exchangeListeners.delete(listener);
    },
    request(e) {
      const entry: RequestLogEntry = {
        type: 'request',
        time: e.time,
        requestId: e.requestId,
        method: e.method,
        path: redactPath(e.path),
        function: e.function,
        status: e.status,
        ms: e.ms,
        cache: normaliseCache(e.cache),
      };
      if (e.jobId) entry.jobId = e.jobId;
      if (e.realTime) entry.realTime = e.realTime;
      emit(entry);
      if (e.exchange) {
        for (const listener of exchangeListeners) {
          try {
            listener(entry, e.exchange);
          } catch {
            /* as above */
          }
        }
      }
    },
    notice(e) {
      emit({ type: 'notice', time: e.time, message: redactText(e.message), ...(e.realTime ? { realTime: e.realTime } : {}) });
    },
    error(e) {
      const err = e.error instanceof Error ? e.error : undefined;
      emit({
        type: 'error',
        time: e.time,
        requestId: e.requestId,
        function: e.function,
        status: e.status,
        message: redactText(err ? err.message : String(e.error)),
        ...(err?.stack ? { stack: redactText(err.stack) } : {}),
      });
    },
    console(e) {
      emit({ type: 'console', time: e.time, requestId: e.requestId, function: e.function, level: e.level, text: redactText(e.text) });
    },
    recent: () => (ring.length < keep ? ring.slice() : [...ring.slice(next), ...ring.slice(0, next)]),
  };
}

function normaliseCache(value: string | null | undefined): 'HIT' | 'MISS' | null {
  if (!value) return null;
  if (value === 'HIT' || value === 'MISS') return value;
  const v = value.toUpperCase();
  return v.startsWith('HIT') ? 'HIT' : v.startsWith('MISS') ? 'MISS' : null;
}

/**
 * One JSON object per line (for `serve --no-ui --json`). A request line is assembled field by field:
 * JSON.stringify of the whole entry costs more than the rest of a cache HIT's logging together.
 * Only the strings a client controls (method, path) need escaping; the others are ours.
 */
export function jsonLine(entry: LogEntry): string {
  if (entry.type !== 'request') return `${JSON.stringify(entry)}\n`;
  const fn = entry.function === null ? 'null' : JSON.stringify(entry.function);
  const cache = entry.cache === null ? 'null' : `"${entry.cache}"`;
  const job = entry.jobId === undefined ? '' : `,"jobId":${JSON.stringify(entry.jobId)}`;
  const real = entry.realTime === undefined ? '' : `,"realTime":"${entry.realTime}"`;
  return (
    `{"type":"request","time":"${entry.time}","requestId":"${entry.requestId}","method":${JSON.stringify(entry.method)},` +
    `"path":${JSON.stringify(entry.path)},"function":${fn},"status":${entry.status},"ms":${entry.ms},"cache":${cache}${job}${real}}\n`
  );
}

/** One human line per request (for `serve --no-ui`); errors add their stack. */
export function textLine(entry: LogEntry): string {
  if (entry.type === 'request') {
    const cache = entry.cache ? ` ${entry.cache}` : '';
    const fn = entry.function ? ` ${entry.function}` : '';
    const real = entry.realTime ? ` (real ${entry.realTime})` : '';
    return `${entry.time}${real} ${entry.method} ${entry.path}${fn} ${entry.status} ${entry.ms.toFixed(1)}ms${cache} ${entry.requestId}\n`;
  }
  if (entry.type === 'console') return `${entry.time} ${entry.level === 'runtime' ? 'serve' : entry.level.toUpperCase()} ${entry.function} ${entry.requestId ?? '-'} ${entry.text}\n`;
  if (entry.type === 'notice') return `${entry.time}${entry.realTime ? ` (real ${entry.realTime})` : ''} ${entry.message}\n`;
  return `${entry.time} ERROR ${entry.function ?? '-'} ${entry.requestId} ${entry.message}\n${entry.stack ?? ''}\n`;
}

/** A subscriber writing each entry as it comes, formatted by `format`. */
export const lineWriter =
  (format: (entry: LogEntry) => string, write: (line: string) => void): LogListener =>
  (entry) =>
    write(format(entry));

export const jsonLineWriter = (write: (line: string) => void): LogListener => lineWriter(jsonLine, write);
export const textLineWriter = (write: (line: string) => void): LogListener => lineWriter(textLine, write);

export interface BatchedLogWriter {
  listener: LogListener;
  /** Writes what is waiting now (on close and on exit). */
  flush(): void;
}

/** How long log lines may wait to be written together (a human tailing the log sees no lag). */
export const LOG_FLUSH_MS = 20;
/** Entries that trigger a write at once, whatever the time: bounds the memory a burst holds. */
const LOG_FLUSH_ENTRIES = 1024;

/**
 * A subscriber that formats and writes entries in batches, at most `delayMs` after the first of
 * them: under load one write call per few hundred requests instead of one per request (stdout to
 * a file or a pipe is synchronous in Node, so each call is a system call on the serving thread),
 * and the formatting runs in one tight loop after the responses have gone out.
 */
export function batchedLogWriter(
  format: (entry: LogEntry) => string,
  write: (chunk: string) => void,
  opts: { delayMs?: number } = {},
): BatchedLogWriter {
  const delayMs = opts.delayMs ?? LOG_FLUSH_MS;
  let waiting: LogEntry[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (waiting.length === 0) return;
    const batch = waiting;
    waiting = [];
    let chunk = '';
    for (const entry of batch) chunk += format(entry);
    write(chunk);
  };
  return {
    listener(entry) {
      waiting.push(entry);
      if (waiting.length >= LOG_FLUSH_ENTRIES) flush();
      // Unref'd: a pending write never keeps the process alive (close() and 'exit' flush).
      else timer ??= setTimeout(flush, delayMs).unref();
    },
    flush,
  };
}
