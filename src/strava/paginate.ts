/** Pages through an athlete's activities until Strava returns a short page. */
import type { ListActivitiesParams, Strava, StravaActivitySummary, StravaCredentials } from './port.js';

export const DEFAULT_PAGE_SIZE = 200;

export async function* paginateActivities(
  strava: Pick<Strava, 'listActivities'>,
  creds: StravaCredentials,
  params: Omit<ListActivitiesParams, 'page'> & { startPage?: number } = {},
): AsyncGenerator<{ page: number; activities: StravaActivitySummary[] }> {
  const perPage = params.perPage ?? DEFAULT_PAGE_SIZE;
  for (let page = params.startPage ?? 1; ; page++) {
    const activities = await strava.listActivities(creds, { before: params.before, after: params.after, page, perPage });
    if (activities.length > 0) yield { page, activities };
    if (activities.length < perPage) return;
  }
}
