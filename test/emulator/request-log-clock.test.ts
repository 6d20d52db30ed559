import { describe, expect, it } from 'vitest';
import { createRequestLog, jsonLine, textLine, type LogEntry } from '../../src/emulator/request-log.js';

describe('request log on a virtual clock', () => {
  it('a request line carries the real time when it differs; notices are lines of their own', () => {
    const log = createRequestLog();
    const seen: LogEntry[] = [];
    log.subscribe((e) => seen.push(e));
    const base = { requestId: 'r1', method: 'GET', path: '/api/activities', function: 'api-activities', status: 200, ms: 1.5 };
    log.request({ ...base, time: '2026-03-01T02:30:00.000Z', realTime: '2026-12-03T12:00:00.000Z' });
    log.request({ ...base, time: '2026-12-03T12:00:00.000Z' });
    log.notice({ time: '2026-03-02T02:30:00.000Z', realTime: '2026-12-03T12:00:01.000Z', message: 'clock: 2026-03-02T02:30:00.000Z (frozen)' });

    expect(textLine(seen[0]!)).toBe('2026-03-01T02:30:00.000Z (real 2026-12-03T12:00:00.000Z) GET /api/activities api-activities 200 1.5ms r1\n');
    expect(JSON.parse(jsonLine(seen[0]!))).toMatchObject({ time: '2026-03-01T02:30:00.000Z', realTime: '2026-12-03T12:00:00.000Z' });
    expect(JSON.parse(jsonLine(seen[1]!))).not.toHaveProperty('realTime');
    expect(textLine(seen[2]!)).toBe('2026-03-02T02:30:00.000Z (real 2026-12-03T12:00:01.000Z) clock: 2026-03-02T02:30:00.000Z (frozen)\n');
    expect(JSON.parse(jsonLine(seen[2]!))).toEqual({ type: 'notice', time: '2026-03-02T02:30:00.000Z', realTime: '2026-12-03T12:00:01.000Z', message: 'clock: 2026-03-02T02:30:00.000Z (frozen)' });
  });
});
