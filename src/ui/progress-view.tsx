import { Box, Text } from 'ink';
import { formatDuration } from '../util/duration.js';
import { bar, etaSeconds, percent, type ProgressState } from './progress-model.js';

const BAR_WIDTH = 24;

export function ProgressView({ state, now }: { state: ProgressState; now: number }) {
  return (
    <Box flexDirection="column">
      <Text bold>{state.title}</Text>
      {state.tasks.map((t) => {
        const pct = percent(t);
        const eta = t.status === 'running' ? etaSeconds(t, now) : undefined;
        const mark = t.status === 'done' ? '✔' : t.status === 'failed' ? '✘' : '…';
        return (
          <Box key={t.id}>
            <Text color={t.status === 'failed' ? 'red' : t.status === 'done' ? 'green' : 'cyan'}>{mark} </Text>
            <Text>{t.label.padEnd(16)} </Text>
            {t.total ? <Text>{bar(t.done / t.total, BAR_WIDTH)} {String(pct).padStart(3)}% </Text> : <Text>{t.done} </Text>}
            {t.detail ? <Text dimColor>{t.detail}</Text> : null}
            {eta !== undefined ? <Text dimColor> · ETA {formatDuration(eta)}</Text> : null}
          </Box>
        );
      })}
      {state.summary ? <Text>{state.summary}</Text> : null}
    </Box>
  );
}
