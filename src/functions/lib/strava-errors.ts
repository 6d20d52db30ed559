/** The HTTP status a Strava client error carries, when it says (404 unknown id, 401 bad token...). */
export function stravaStatus(err: unknown): number | undefined {
  const e = err as { status?: unknown; statusCode?: unknown; code?: unknown } | null;
  if (!e || typeof e !== 'object') return undefined;
  for (const v of [e.status, e.statusCode]) if (typeof v === 'number') return v;
  const m = typeof e.code === 'string' ? /(\d{3})/.exec(e.code) : null;
  if (m) return Number(m[1]);
  if (typeof e.code === 'string') {
    if (/NOT_FOUND/.test(e.code)) return 404;
    if (/UNAUTHORI[ZS]ED|INVALID_GRANT|BAD_CODE|INVALID_CODE/.test(e.code)) return 401;
    if (/BAD_REQUEST|INVALID/.test(e.code)) return 400;
  }
  return undefined;
}

export const isStravaNotFound = (err: unknown): boolean => stravaStatus(err) === 404;
export const isStravaClientError = (err: unknown): boolean => {
  const s = stravaStatus(err);
  return s !== undefined && s >= 400 && s < 500 && s !== 429;
};
