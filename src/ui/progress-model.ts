/** The state a progress display shows: one row per task (an athlete, a store, a page range). */
export interface ProgressTask {
  id: string;
  label: string;
  done: number;
  total?: number;
  /** Show done/total as a percentage (it is a share, not a count). */
  asPercent?: boolean;
  /** Short free text: "page 4 · 812 activities · waiting 3m 12s for the rate limit". */
  detail?: string;
  status: 'running' | 'done' | 'failed';
  startedAt: number;
}

export interface ProgressState {
  title: string;
  tasks: ProgressTask[];
  summary?: string;
}

/** ETA from the average rate so far; undefined until there is a rate and a total. */
export function etaSeconds(task: ProgressTask, now: number): number | undefined {
  if (!task.total || task.done <= 0 || task.done >= task.total) return undefined;
  const elapsed = (now - task.startedAt) / 1000;
  return elapsed <= 0 ? undefined : ((task.total - task.done) * elapsed) / task.done;
}

export function percent(task: ProgressTask): number | undefined {
  return task.total ? Math.min(100, Math.floor((task.done / task.total) * 100)) : undefined;
}

export function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}
