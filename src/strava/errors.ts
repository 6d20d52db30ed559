import { UpstreamError } from '../errors.js';

/** A Strava API failure with its HTTP status (0 for network errors). Codes are stable. */
export class StravaError extends UpstreamError {}

export function stravaErrorForStatus(status: number, what: string, detail: string): StravaError {
  switch (status) {
    case 400:
      return new StravaError('STRAVA_BAD_REQUEST', `Strava rejected ${what}: ${detail}`, status);
    case 401:
      return new StravaError('STRAVA_UNAUTHORIZED', `Strava refused the token for ${what}: ${detail}`, status, 'Reconnect the athlete to Strava (the token was revoked or expired).');
    case 403:
      return new StravaError('STRAVA_FORBIDDEN', `Strava forbids ${what}: ${detail}`, status);
    case 404:
      return new StravaError('STRAVA_NOT_FOUND', `Strava has no ${what}`, status);
    case 429:
      return new StravaError('STRAVA_RATE_LIMITED', `Strava rate limit still exceeded for ${what}`, status, 'Try again after the 15-minute window resets.');
    default:
      return new StravaError('STRAVA_UNAVAILABLE', `Strava failed ${what} (HTTP ${status}): ${detail}`, status, 'Strava may be down; retry later.');
  }
}
