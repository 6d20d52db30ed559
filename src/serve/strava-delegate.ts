import type { Strava } from '../strava/port.js';

/**
 * A Strava port whose implementation is set later: handlers are built before the server knows
 * its port, and the client for the mounted fake Strava needs that port in its base URL.
 */
export type DelegatingStrava = Strava & { set(impl: Strava): void };

export function delegateStrava(): DelegatingStrava {
  let impl: Strava | undefined;
  const target = (): Strava => {
    if (!impl) throw new Error('Strava client used before serve finished starting');
    return impl;
  };
  return {
    set: (s) => void (impl = s),
    exchangeCode: (code) => target().exchangeCode(code),
    refreshToken: (token) => target().refreshToken(token),
    deauthorize: (token) => target().deauthorize(token),
    getAthlete: (creds) => target().getAthlete(creds),
    listActivities: (creds, params) => target().listActivities(creds, params),
    getActivity: (creds, id) => target().getActivity(creds, id),
    getStreams: (creds, id, keys) => target().getStreams(creds, id, keys),
  };
}
