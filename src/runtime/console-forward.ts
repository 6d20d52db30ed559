import { format } from 'node:util';
import type { ConsoleLevel, WorkerMessage } from './messages.js';

/** Sends every console.* line of the instance to serve's log, tagged with the request it ran for. */
export function forwardConsole(post: (m: WorkerMessage) => void, currentRequest: () => string | null): void {
  const levels: ConsoleLevel[] = ['log', 'info', 'warn', 'error', 'debug', 'trace'];
  for (const level of levels) {
    (console as unknown as Record<string, unknown>)[level] = (...args: unknown[]): void => {
      let text = format(...args);
      if (level === 'trace') text += `\n${new Error().stack?.split('\n').slice(2).join('\n') ?? ''}`;
      post({ t: 'log', requestId: currentRequest(), level, text });
    };
  }
}
