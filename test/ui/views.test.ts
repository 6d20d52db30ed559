import { render } from 'ink-testing-library';
import React from 'react';
import { describe, expect, it } from 'vitest';
import type { ProgressState } from '../../src/ui/progress-model.js';
import { ProgressView } from '../../src/ui/progress-view.js';
import { bannerLines, type ServeSummary } from '../../src/serve/summary.js';
import { ServeDashboard, type DashboardState } from '../../src/ui/serve-dashboard.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('progress view (ink)', () => {
  it('renders a bar per task, updates as work advances, and ends with a summary', () => {
    const state: ProgressState = {
      title: 'backfill on http://127.0.0.1:8888',
      tasks: [
        { id: 'a', label: 'athlete 104662', done: 1, total: 4, detail: '200 activities', status: 'running', startedAt: T0 },
        { id: 'b', label: 'athlete 7', done: 0, detail: 'waiting 12m 30s for the rate-limit window', status: 'running', startedAt: T0 },
      ],
    };
    const view = render(React.createElement(ProgressView, { state, now: T0 + 10_000 }));
    let frame = view.lastFrame()!;
    expect(frame).toContain('backfill on http://127.0.0.1:8888');
    expect(frame).toMatch(/athlete 104662\s+█{6}░{18}\s+25%/);
    expect(frame).toContain('ETA 30s');
    expect(frame).toContain('waiting 12m 30s for the rate-limit window');

    state.tasks[0] = { ...state.tasks[0]!, done: 4, status: 'done' };
    state.tasks[1] = { ...state.tasks[1]!, done: 3, status: 'failed', detail: 'SITE_ERROR' };
    view.rerender(React.createElement(ProgressView, { state: { ...state, summary: '1 succeeded, 1 failed' }, now: T0 + 20_000 }));
    frame = view.lastFrame()!;
    expect(frame).toMatch(/✔ athlete 104662\s+█{24}\s+100%/);
    expect(frame).toContain('✘ athlete 7');
    expect(frame).not.toContain('ETA');
    expect(frame).toContain('1 succeeded, 1 failed');
    view.unmount();
  });
});

describe('serve dashboard (ink)', () => {
  it('shows the URL, functions with routes, live requests with cache status, jobs and next runs', () => {
    const summary: ServeSummary = {
      url: 'http://127.0.0.1:8888',
      database: 'embedded (.veloready/pg)',
      pgPort: 54322,
      psql: 'psql postgres://postgres@127.0.0.1:54322/postgres',
      stravaUrl: 'http://127.0.0.1:8888/strava',
      demoAthleteId: 104662,
      demoToken: 'tok',
      curl: 'curl -H "Authorization: Bearer tok" http://127.0.0.1:8888/api/activities?limit=5',
      functions: [{ name: 'api-activities', kind: 'sync', source: 'built-in', routes: ['/api/activities', '/.netlify/functions/api-activities'] }],
    };
    const state: DashboardState = {
      summary,
      banner: bannerLines(summary, false),
      functions: [
        ...summary.functions,
        { name: 'hello', kind: 'sync', source: 'netlify/functions/hello.mts', routes: ['/api/hello/:name'] },
        { name: 'nightly-digest', kind: 'scheduled', source: 'netlify/functions-scheduled/nightly-digest.mts', schedule: '@daily', routes: ['/.netlify/functions/nightly-digest'] },
      ],
      requests: [
        { type: 'request', time: '2026-11-25T12:00:01.000Z', requestId: 'r1', method: 'GET', path: '/api/activities', function: 'api-activities', status: 200, ms: 3.2, cache: 'HIT' },
        { type: 'request', time: '2026-11-25T12:00:02.000Z', requestId: 'r2', method: 'GET', path: '/api/streams/abc', function: 'api-streams', status: 400, ms: 1, cache: null },
      ],
      jobs: [
        { id: 'job-1234567', function: 'backfill-background', status: 'running', progress: { pages_fetched: 2, activities_upserted: 400 }, error: null, createdAt: '', startedAt: '', finishedAt: null },
      ],
      nextRuns: [{ function: 'cleanup', schedule: '@hourly', nextRun: '2026-11-25T13:00:00.000Z' }],
    };
    const { lastFrame, unmount } = render(React.createElement(ServeDashboard, { state }));
    const frame = lastFrame()!;
    expect(frame).toContain('  token      tok\n');
    expect(frame).toContain('  demo athlete 104662');
    expect(frame).toContain('veloready serve http://127.0.0.1:8888');
    // The project's functions first, each with its file; then the built-ins.
    expect(frame).toContain('Functions  2 from the project, 1 built-in');
    expect(frame).toMatch(/ hello\s+sync\s+netlify\/functions\/hello\.mts\s+\/api\/hello\/:name\n/);
    expect(frame).toMatch(/ nightly-digest\s+scheduled\s+netlify\/functions-scheduled\/nightly-digest\.mts\s+@daily\n/);
    expect(frame).toMatch(/ api-activities\s+sync\s+built-in\s+\/api\/activities\n/);
    expect(frame.indexOf(' hello ')).toBeLessThan(frame.indexOf(' api-activities  '));
    expect(frame).toMatch(/12:00:01 GET\s+200\s+3ms HIT\s+api-activities\s+\/api\/activities/);
    expect(frame).toMatch(/400\s+1ms\s+api-streams/);
    expect(frame).toContain('pages_fetched 2 · activities_upserted 400');
    expect(frame).toMatch(/cleanup\s+@hourly\s+2026-11-25T13:00:00.000Z/);
    unmount();
  });
});
