import { ApiError, STREAMING, type ApiRoute } from '../api-router.js';
import type { InspectorSources } from '../context.js';
import { requestDetail } from '../request-detail.js';
import type { InspectedRequest, RequestStore } from '../request-store.js';
import type { ScheduledRunBook } from '../scheduled-runs.js';
import { openEventStream } from '../sse.js';

/** Requests: the recent list, one request's detail, and the live stream (server-sent events). */
export function requestRoutes(s: InspectorSources, store: RequestStore, runs: ScheduledRunBook): ApiRoute[] {
  return [
    { method: 'GET', path: '/requests', handler: async () => ({ requests: store.recent() }) },
    {
      method: 'GET',
      path: '/requests/:id',
      handler: async ({ params }) => {
        const entry = store.entry(params.id!);
        if (!entry) throw new ApiError(404, 'REQUEST_NOT_FOUND', `no recent request ${params.id}`);
        return requestDetail(entry, store.exchange(entry.requestId), store.errorsFor(entry.requestId), s.url);
      },
    },
    {
      method: 'GET',
      path: '/events',
      handler: async ({ req, res }) => {
        const stream = openEventStream(req, res);
        const offRequests = store.watch((batch: InspectedRequest[]) => stream.send('requests', batch));
        const offJobs = s.emulator.jobs.subscribe((job) => stream.send('job', { ...job, kind: 'background' }));
        const offRuns = runs.subscribe((run) => stream.send('job', { ...run, kind: 'scheduled' }));
        stream.onClose(() => {
          offRequests();
          offJobs();
          offRuns();
        });
        return STREAMING;
      },
    },
  ];
}
