import type { Exchange } from '../emulator/exchange.js';
import type { ErrorLogEntry, LogEntry, RequestLog, RequestLogEntry } from '../emulator/request-log.js';

/** Requests the inspector remembers with their exchange (bodies are capped, so this bounds memory). */
export const KEPT_EXCHANGES = 500;
/** How long new requests gather before they go to the page together. */
export const BATCH_MS = 100;
/** The inspector's own API and page are not shown among the requests it inspects. */
export const INSPECTOR_PATH_PREFIX = '/_/';

/** A request as the inspector lists it: the log entry plus the athlete its bearer token names, when known. */
export type InspectedRequest = RequestLogEntry & { athleteId?: number };

export interface RequestStore {
  /** Recent requests, newest last (the log's ring plus what arrived while someone watched). */
  recent(): InspectedRequest[];
  entry(requestId: string): InspectedRequest | undefined;
  exchange(requestId: string): Exchange | undefined;
  /** The error lines logged for a request id (a function's own failures). */
  errorsFor(requestId: string): ErrorLogEntry[];
  /**
   * Watches new requests while at least one watcher is attached: only then are exchanges
   * captured (RequestLog.capturing), so serving costs nothing while the inspector is closed.
   */
  watch(onRequests: (entries: InspectedRequest[]) => void): () => void;
  close(): void;
}

const isShown = (e: LogEntry): e is RequestLogEntry => e.type === 'request' && !e.path.startsWith(INSPECTOR_PATH_PREFIX);

/**
 * The athlete a request was made as, for the athlete filter: read (not verified: the function
 * verified it) from the bearer token's app_metadata.athlete_id.
 */
export function athleteOfRequest(authorization: unknown): number | undefined {
  if (typeof authorization !== 'string' || !/^bearer /i.test(authorization)) return undefined;
  const payload = authorization.slice(7).trim().split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { app_metadata?: { athlete_id?: unknown } };
    const id = claims.app_metadata?.athlete_id;
    return typeof id === 'number' && Number.isSafeInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** A ring of the last `size` items keyed by request id. */
class KeyedRing<T> {
  private readonly byId = new Map<string, T>();
  constructor(private readonly size: number) {}
  set(id: string, value: T): void {
    this.byId.set(id, value);
    if (this.byId.size > this.size) this.byId.delete(this.byId.keys().next().value!);
  }
  get(id: string): T | undefined {
    return this.byId.get(id);
  }
  values(): T[] {
    return [...this.byId.values()];
  }
}

export function createRequestStore(log: RequestLog, opts: { keep?: number } = {}): RequestStore {
  const keep = opts.keep ?? KEPT_EXCHANGES;
  const entries = new KeyedRing<RequestLogEntry>(keep);
  const exchanges = new KeyedRing<Exchange>(keep);
  const errors = new KeyedRing<ErrorLogEntry[]>(keep);
  const athletes = new KeyedRing<number>(keep);
  const watchers = new Set<(entries: InspectedRequest[]) => void>();
  const inspected = (e: RequestLogEntry): InspectedRequest => {
    const athleteId = athletes.get(e.requestId);
    return athleteId === undefined ? e : { ...e, athleteId };
  };
  let pending: RequestLogEntry[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let offs: Array<() => void> = [];

  // New requests reach watchers in batches: at 500 req/s one message per 100 ms, not 500.
  const flush = (): void => {
    flushTimer = undefined;
    const batch = pending.map(inspected);
    pending = [];
    if (batch.length) for (const w of watchers) w(batch);
  };
  const onEntry = (e: LogEntry): void => {
    if (e.type === 'error') {
      const list = errors.get(e.requestId) ?? [];
      list.push(e);
      errors.set(e.requestId, list);
      return;
    }
    if (!isShown(e)) return;
    entries.set(e.requestId, e);
    pending.push(e);
    flushTimer ??= setTimeout(flush, BATCH_MS);
  };
  const onExchange = (e: RequestLogEntry, x: Exchange): void => {
    if (!isShown(e)) return;
    exchanges.set(e.requestId, x);
    const athleteId = athleteOfRequest(x.requestHeaders.authorization);
    if (athleteId !== undefined) athletes.set(e.requestId, athleteId);
  };

  const fromLog = (): LogEntry[] => log.recent() as LogEntry[];
  return {
    recent() {
      const byId = new Map<string, RequestLogEntry>();
      for (const e of fromLog()) if (isShown(e)) byId.set(e.requestId, e);
      for (const e of entries.values()) byId.set(e.requestId, e);
      return [...byId.values()].sort((a, b) => (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0)).map(inspected);
    },
    entry(id) {
      const e = entries.get(id) ?? fromLog().find((x): x is RequestLogEntry => isShown(x) && x.requestId === id);
      return e && inspected(e);
    },
    exchange: (id) => exchanges.get(id),
    errorsFor(id) {
      const seen = errors.get(id) ?? [];
      const logged = fromLog().filter((e): e is ErrorLogEntry => e.type === 'error' && e.requestId === id && !seen.includes(e));
      return [...logged, ...seen];
    },
    watch(onRequests) {
      watchers.add(onRequests);
      if (watchers.size === 1) offs = [log.subscribe(onEntry), log.subscribeExchanges(onExchange)];
      return () => {
        watchers.delete(onRequests);
        if (watchers.size === 0) {
          for (const off of offs) off();
          offs = [];
        }
      };
    },
    close() {
      watchers.clear();
      for (const off of offs) off();
      offs = [];
      clearTimeout(flushTimer);
    },
  };
}
