import { UpstreamError } from '../errors.js';

/** A Strava API failure with its HTTP status (0 for network errors). Codes are stable. */
export class StravaError extends UpstreamError {}

export function stravaErrorForStatus(status: number, what: string, detail: string): StravaError {
  switch (status) {
    case 400:
      return new StravaError('strava_bad_request', `Strava rejected ${what}: ${detail}`, status);
    case 401:
      return new StravaError('strava_unauthorized', `Strava refused the token for ${what}: ${detail}`, status, 'Reconnect the athlete to Strava (the token was revoked or expired).');
    case 403:
      return new StravaError('strava_forbidden', `Strava forbids ${what}: ${detail}`, status);
    case 404:
      return new StravaError('strava_not_found', `Strava has no ${what}`, status);
    case 429:
      return new StravaError('strava_rate_limited', `Strava rate limit still exceeded for ${what}`, status, 'Try again after the 15-minute window resets.');
    default:
      return new StravaError('strava_unavailable', `Strava failed ${what} (HTTP ${status}): ${detail}`, status, 'Strava may be down; retry later.');
  }
}
