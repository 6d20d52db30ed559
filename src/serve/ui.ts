import type { Output } from '../cli/output.js';
import { batchedLogWriter, jsonLine, textLine, type RequestLogEntry } from '../emulator/request-log.js';
import type { RunningServe } from './start.js';
import { scheduledRunJson, scheduledRunText } from './scheduled-log.js';
import { bannerLines, functionRows, serveSummary } from './summary.js';

const DASHBOARD_REQUESTS = 12;
const DASHBOARD_JOBS = 6;
const RENDER_INTERVAL_MS = 100;

export interface ServeUi {
  stopping(): void;
  close(): Promise<void>;
}

/** The ink dashboard on a terminal; otherwise one log line per request (JSON with --json). */
export async function attachServeUi(out: Output, serve: RunningServe, opts: { ui: boolean }): Promise<ServeUi> {
  const summary = serveSummary(serve);
  if (!opts.ui || !out.interactive) {
    if (out.json) out.stdout.write(JSON.stringify({ type: 'ready', ...summary, firstRun: serve.firstRun }) + '\n');
    else out.print(bannerLines(summary, serve.firstRun).join('\n'));
    const lines = batchedLogWriter(out.json ? jsonLine : textLine, (chunk) => out.stdout.write(chunk));
    const offLog = serve.log.subscribe(lines.listener);
    // Scheduled runs have no request line of their own: each gets one with its result and duration.
    const offRuns = serve.scheduler.subscribe((run) => {
      lines.flush();
      out.stdout.write(out.json ? scheduledRunJson(run) : scheduledRunText(run));
    });
    const off = (): void => {
      offLog();
      offRuns();
    };
    // A forced exit (second Ctrl-C) still writes the last lines.
    process.on('exit', lines.flush);
    return {
      stopping: () => {
        if (!out.json) out.info('stopping: finishing requests and jobs…');
      },
      close: async () => {
        off();
        process.off('exit', lines.flush);
        lines.flush();
      },
    };
  }

  const [{ render }, React, { ServeDashboard }] = await Promise.all([import('ink'), import('react'), import('../ui/serve-dashboard.js')]);
  let stopping = false;
  const banner = bannerLines(summary, serve.firstRun);
  const view = () =>
    React.createElement(ServeDashboard, {
      state: {
        summary,
        banner,
        functions: functionRows(serve.functions.list(), serve.emulator.router.rules),
        requests: serve.log.recent().filter((e): e is RequestLogEntry => e.type === 'request').slice(-DASHBOARD_REQUESTS),
        jobs: serve.emulator.jobs.list().slice(-DASHBOARD_JOBS),
        nextRuns: serve.scheduler.nextRuns(),
        stopping,
      },
    });
  const instance = render(view(), { stdout: out.stdout as NodeJS.WriteStream, stderr: out.stderr as NodeJS.WriteStream, patchConsole: false, exitOnCtrlC: false });
  let pending: NodeJS.Timeout | undefined;
  const schedule = () => {
    pending ??= setTimeout(() => {
      pending = undefined;
      instance.rerender(view());
    }, RENDER_INTERVAL_MS);
  };
  const offs = [serve.log.subscribe(schedule), serve.emulator.jobs.subscribe(schedule), serve.scheduler.subscribe(schedule), serve.project.onReload(schedule)];
  const tick = setInterval(schedule, 1000);
  return {
    stopping() {
      stopping = true;
      schedule();
    },
    async close() {
      clearInterval(tick);
      if (pending) clearTimeout(pending);
      for (const off of offs) off();
      instance.rerender(view());
      instance.unmount();
    },
  };
}
