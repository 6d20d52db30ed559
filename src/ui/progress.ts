import type { Output } from '../cli/output.js';
import { systemClock, type Clock } from '../clock.js';
import type { ProgressState, ProgressTask } from './progress-model.js';

export interface ProgressReporter {
  /** Creates the task on first use. */
  update(id: string, patch: Partial<Omit<ProgressTask, 'id' | 'startedAt'>>): void;
  /** Ends the display with a summary line; resolves once it is drawn. */
  finish(summary?: string): Promise<void>;
  readonly state: ProgressState;
}

const PLAIN_LINE_INTERVAL_MS = 1000;

/**
 * Live progress: an ink view on a terminal; throttled plain lines on stderr otherwise; nothing
 * under --json (the command prints its result document instead).
 */
export async function createProgress(out: Output, title: string, clock: Clock = systemClock): Promise<ProgressReporter> {
  const state: ProgressState = { title, tasks: [] };
  const upsert = (id: string, patch: Partial<ProgressTask>): ProgressTask => {
    let task = state.tasks.find((t) => t.id === id);
    if (!task) {
      task = { id, label: id, done: 0, status: 'running', startedAt: clock.now() };
      state.tasks.push(task);
    }
    Object.assign(task, patch);
    return task;
  };

  if (out.json) {
    return { state, update: (id, patch) => void upsert(id, patch), finish: async (summary) => void (state.summary = summary) };
  }

  if (!out.interactive) {
    const lastLine = new Map<string, number>();
    const line = (t: ProgressTask) =>
      `${t.label}: ${[t.total ? (t.asPercent ? `${Math.floor((t.done / t.total) * 100)}%` : `${t.done}/${t.total}`) : t.detail ? undefined : String(t.done), t.detail, t.status !== 'running' ? t.status : undefined]
        .filter(Boolean)
        .join(' · ')}`;
    return {
      state,
      update(id, patch) {
        const before = state.tasks.find((t) => t.id === id)?.status;
        const t = upsert(id, patch);
        const now = clock.now();
        const statusChanged = before !== t.status;
        if (statusChanged || now - (lastLine.get(id) ?? 0) >= PLAIN_LINE_INTERVAL_MS) {
          lastLine.set(id, now);
          out.info(line(t));
        }
      },
      async finish(summary) {
        state.summary = summary;
        if (summary) out.info(summary);
      },
    };
  }

  const [{ render }, React, { ProgressView }] = await Promise.all([
    import('ink'),
    import('react'),
    import('./progress-view.js'),
  ]);
  const view = () => React.createElement(ProgressView, { state: { ...state, tasks: state.tasks.map((t) => ({ ...t })) }, now: clock.now() });
  const instance = render(view(), { stdout: out.stderr as NodeJS.WriteStream, patchConsole: false });
  return {
    state,
    update(id, patch) {
      upsert(id, patch);
      instance.rerender(view());
    },
    async finish(summary) {
      state.summary = summary;
      instance.rerender(view());
      instance.unmount();
      await instance.waitUntilExit();
    },
  };
}
