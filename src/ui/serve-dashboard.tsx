import { Box, Static, Text } from 'ink';
import type { JobRecord } from '../emulator/jobs.js';
import type { RequestLogEntry } from '../emulator/request-log.js';
import type { NextRun } from '../emulator/scheduler.js';
import { BUILT_IN } from '../emulator/functions.js';
import type { FunctionRow, ServeSummary } from '../serve/summary.js';

export interface DashboardState {
  summary: ServeSummary;
  /** The functions as serve runs them now (a saved project file adds, removes or changes them). */
  functions: readonly FunctionRow[];
  /** Printed once above the live part (bannerLines): URL, first-run note, token, curl line. */
  banner: readonly string[];
  requests: readonly RequestLogEntry[];
  jobs: readonly JobRecord[];
  nextRuns: readonly NextRun[];
  stopping?: boolean;
}

const statusColor = (s: number) => (s >= 500 ? 'red' : s >= 400 ? 'yellow' : 'green');

function progressText(job: JobRecord): string {
  const p = job.progress ?? {};
  const parts = Object.entries(p)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .slice(0, 4)
    .map(([k, v]) => `${k} ${String(v)}`);
  return parts.join(' · ');
}

/**
 * A banner line laid out wider than any terminal, so ink never hard-wraps it (a newline inside the
 * token would break a copy-paste); the terminal soft-wraps it instead, which copies as one line.
 * Ink trims the unused width at the end of each line.
 */
function UnwrappedLine({ text }: { text: string }) {
  return (
    <Box width={text.length * 2 + 1} flexShrink={0}>
      <Text>{text}</Text>
    </Box>
  );
}

/** The project's functions first, with the file each comes from, then the built-ins serve adds. */
function FunctionList({ functions }: { functions: readonly FunctionRow[] }) {
  const own = functions.filter((f) => f.source !== BUILT_IN);
  const rows = [...own, ...functions.filter((f) => f.source === BUILT_IN)];
  const sourceWidth = Math.max(...rows.map((f) => f.source.length), 0);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text>
        <Text bold>Functions</Text>
        <Text dimColor>
          {'  '}
          {own.length} from the project, {rows.length - own.length} built-in
        </Text>
      </Text>
      {rows.map((f) => (
        <Text key={f.name}>
          {'  '}
          {f.name.padEnd(28)} <Text dimColor>{f.kind.padEnd(10)}</Text> <Text color={f.source === BUILT_IN ? undefined : 'cyan'}>{f.source.padEnd(sourceWidth)}</Text>{' '}
          {f.schedule ?? f.routes[0]}
        </Text>
      ))}
    </Box>
  );
}

/**
 * `veloready serve` on a terminal: the banner once (ink's <Static>, above everything and kept
 * through re-renders), then live: what is happening and what runs next.
 */
export function ServeDashboard({ state }: { state: DashboardState }) {
  const { summary } = state;
  return (
    <>
      <Static items={[...state.banner]}>{(line, i) => <UnwrappedLine key={i} text={line} />}</Static>
      <Box flexDirection="column" marginTop={1}>
        <Box>
          <Text bold color="cyan">veloready serve </Text>
          <Text>{summary.url}</Text>
          {state.stopping ? <Text color="yellow"> stopping…</Text> : null}
        </Box>
        <FunctionList functions={state.functions} />
        <Box flexDirection="column" marginTop={1}>
          <Text bold>Requests</Text>
          {state.requests.length === 0 ? <Text dimColor>  none yet</Text> : null}
          {state.requests.map((r) => (
            <Text key={r.requestId}>
              {'  '}
              {r.time.slice(11, 19)} {r.method.padEnd(6)} <Text color={statusColor(r.status)}>{r.status}</Text>{' '}
              {r.ms.toFixed(0).padStart(5)}ms {(r.cache ?? '').padEnd(4)} {(r.function ?? '-').padEnd(28)} {r.path}
            </Text>
          ))}
        </Box>
        {state.jobs.length > 0 ? (
          <Box flexDirection="column" marginTop={1}>
            <Text bold>Background jobs</Text>
            {state.jobs.map((j) => (
              <Text key={j.id}>
                {'  '}
                {j.function} {j.id.slice(0, 8)} <Text color={j.status === 'failed' ? 'red' : j.status === 'succeeded' ? 'green' : 'cyan'}>{j.status}</Text>{' '}
                <Text dimColor>{progressText(j)}</Text>
              </Text>
            ))}
          </Box>
        ) : null}
        <Box flexDirection="column" marginTop={1}>
          <Text bold>Next scheduled runs</Text>
          {state.nextRuns.map((n) => (
            <Text key={n.function}>
              {'  '}
              {n.function.padEnd(28)} {n.schedule.padEnd(12)} {n.nextRun}
            </Text>
          ))}
        </Box>
        <Text dimColor>Ctrl-C to stop</Text>
      </Box>
    </>
  );
}
