import { CronExpressionParser } from 'cron-parser';

/** The first run of a cron schedule strictly after `afterMs` (UTC, as Netlify runs them). */
export function nextRunAfter(schedule: string, afterMs: number): Date {
  return CronExpressionParser.parse(schedule, { currentDate: new Date(afterMs), tz: 'UTC' }).next().toDate();
}
