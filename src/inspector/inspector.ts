import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminGuard } from '../control/admin-guard.js';
import type { Mount } from '../emulator/server.js';
import { splitUrl, writeResponse } from '../emulator/node-adapter.js';
import { createApiRouter, sendJson, type ApiRoute, type ApiRouter } from './api-router.js';
import type { InspectorSources } from './context.js';
import { createInspectorPage, type InspectorPage } from './page.js';
import { createRequestStore, type RequestStore } from './request-store.js';
import { athleteRoutes } from './routes/athletes.js';
import { cacheRoutes } from './routes/cache.js';
import { dataRoutes } from './routes/data.js';
import { functionRoutes } from './routes/functions.js';
import { jobRoutes } from './routes/jobs.js';
import { overviewRoutes } from './routes/overview.js';
import { requestRoutes } from './routes/requests.js';
import { createScheduledRunBook, type ScheduledRunBook } from './scheduled-runs.js';

export const INSPECTOR_PREFIX = '/_/';
const API_PREFIX = '/_/api';
/** First segments of the inspector's own API paths; any other `/_/api/…` belongs to a later mount. */
export const API_SECTIONS = new Set(['overview', 'requests', 'events', 'functions', 'jobs', 'backfills', 'cache', 'tables', 'rls', 'athletes']);

export interface InspectorMount {
  /** Mounted at `/_/` before serve listens; answers 503 until `attach` gives it serve's parts. */
  readonly mount: Mount;
  attach(sources: InspectorSources): void;
  close(): void;
}

interface Attached {
  page: InspectorPage;
  api: ApiRouter;
  store: RequestStore;
  runs: ScheduledRunBook;
}

/** Every route of the inspector's API, below `/_/api`. */
export function inspectorRoutes(sources: InspectorSources, store: RequestStore, runs: ScheduledRunBook): ApiRoute[] {
  return [
    ...overviewRoutes(sources),
    ...requestRoutes(sources, store, runs),
    ...functionRoutes(sources, runs),
    ...jobRoutes(sources, runs),
    ...cacheRoutes(sources),
    ...dataRoutes(sources),
    ...athleteRoutes(sources),
  ];
}

/**
 * The browser inspector: the page at `/_/` and its JSON API at `/_/api/`, every request through the
 * admin guard (Host, Origin, the per-run token for state-changing calls, the key off loopback).
 * Paths below `/_/api/` it does not know pass on to later mounts (the clock, snapshots).
 */
export function createInspectorMount(guard: AdminGuard): InspectorMount {
  let attached: Attached | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const [path, rawQuery] = splitUrl(req.url ?? '/');
    const apiPath = path === API_PREFIX || path.startsWith(`${API_PREFIX}/`) ? path.slice(API_PREFIX.length) || '/' : undefined;
    if (apiPath !== undefined && !API_SECTIONS.has(apiPath.split('/')[1] ?? '')) return false;
    const refused = guard.check(req);
    if (refused) {
      writeResponse(res, refused);
      return true;
    }
    if (!attached) {
      sendJson(res, 503, { error: { code: 'STARTING', message: 'serve is still starting; try again in a moment' } });
      return true;
    }
    if (apiPath !== undefined) return attached.api.handle(req, res, apiPath, rawQuery);
    if ((req.method === 'GET' || req.method === 'HEAD') && attached.page.serve(path, res)) return true;
    return false;
  }

  return {
    mount: { prefix: INSPECTOR_PREFIX, handler: handle },
    attach(sources) {
      const store = createRequestStore(sources.log);
      const runs = createScheduledRunBook(sources.scheduler, sources.clock);
      const api = createApiRouter(inspectorRoutes(sources, store, runs));
      attached = { page: createInspectorPage(guard.token), api, store, runs };
    },
    close() {
      attached?.store.close();
      attached?.runs.close();
    },
  };
}
