import type { Handler, NetlifyEvent } from '../emulator/types.js';
import { createSession, revokeAllSessionsForUser } from '../auth/sessions.js';
import type { StravaTokenResponse } from '../strava/port.js';
import { DEFAULT_DEEP_LINK, type FunctionDeps } from './deps.js';
import { jsonBody } from './lib/body.js';
import { handler, logUnexpected } from './lib/handle.js';
import { badRequest, HttpError, json } from './lib/http.js';
import { requireMethod } from './lib/method.js';
import { purgeReownedAthlete } from './lib/invalidate.js';
import { upsertStravaSignIn } from './lib/oauth-store.js';
import { queryParam } from './lib/query.js';
import { isStravaClientError } from './lib/strava-errors.js';
import { tokenPair, type TokenPair } from './lib/tokens.js';

const CODE_RE = /^[A-Za-z0-9._~-]{1,256}$/;
const STATE_MAX_LENGTH = 512;
const SCOPE_RE = /^[a-z_:,]{1,200}$/;

interface CallbackParams {
  code?: string;
  state?: string;
  scope?: string;
  error?: string;
  /** '1' forces the deep-link redirect, '0' forces JSON. */
  redirect?: string;
}

function params(event: NetlifyEvent): CallbackParams {
  const fromBody = event.httpMethod.toUpperCase() === 'POST' ? jsonBody(event, { optional: true }) : {};
  const pick = (name: string): string | undefined => {
    const v = queryParam(event, name) ?? fromBody[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw badRequest('INVALID_PARAMETER', `${name} must be a string`);
    return v;
  };
  const out: CallbackParams = {};
  for (const k of ['code', 'state', 'scope', 'error', 'redirect'] as const) {
    const v = pick(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Redirect (302 to the app's deep link) when the client asks with `redirect=1`, or when the
 * request carries an OAuth `state` (a browser coming back from the consent page) unless
 * `redirect=0`. Otherwise JSON.
 */
export function wantsRedirect(p: CallbackParams): boolean {
  if (p.redirect === '1' || p.redirect === 'true') return true;
  if (p.redirect === '0' || p.redirect === 'false') return false;
  return p.state !== undefined;
}

export function deepLinkUrl(base: string, fields: Record<string, string | number | undefined>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) qs.set(k, String(v));
  return `${base}${base.includes('?') ? '&' : '?'}${qs.toString()}`;
}

const redirectTo = (location: string) => ({
  statusCode: 302,
  headers: { location, 'cache-control': 'no-store', 'content-type': 'text/plain; charset=utf-8' },
  body: `Redirecting to the app`,
});

/**
 * `GET|POST /oauth/strava/callback?code=&state=&scope=`: exchanges the Strava code, upserts the
 * athlete, its Strava tokens and its auth user in one transaction (re-owning a row another user
 * held, whose sessions are then revoked, and logging it), opens a session, and answers
 * with the access (1 h) and refresh (30 d) tokens: JSON, or a 302 to `veloready://auth?...`.
 */
export function createOauthStravaTokenExchangeHandler(deps: FunctionDeps): Handler {
  const deepLink = deps.config.deepLink || DEFAULT_DEEP_LINK;
  return handler(async (event) => {
    requireMethod(event, ['GET', 'POST']);
    const p = params(event);
    if (p.state !== undefined && p.state.length > STATE_MAX_LENGTH) throw badRequest('INVALID_STATE', 'state is too long');
    const redirect = wantsRedirect(p);
    if (p.error !== undefined) {
      const error = p.error.slice(0, 100);
      if (redirect) return redirectTo(deepLinkUrl(deepLink, { error, state: p.state }));
      throw badRequest('OAUTH_DENIED', `Strava authorization failed: ${error}`);
    }
    if (p.code === undefined || p.code === '') throw badRequest('CODE_REQUIRED', 'The Strava authorization code is missing (?code=)');
    if (!CODE_RE.test(p.code)) throw badRequest('INVALID_CODE', 'The Strava authorization code is malformed');
    const scope = p.scope !== undefined && SCOPE_RE.test(p.scope) ? p.scope : null;

    let tokens: StravaTokenResponse;
    try {
      tokens = await deps.strava.exchangeCode(p.code);
    } catch (err) {
      if (isStravaClientError(err)) throw badRequest('INVALID_CODE', 'Strava rejected the authorization code (expired or already used)');
      throw err;
    }
    if (!tokens.athlete) throw new HttpError(502, 'STRAVA_NO_ATHLETE', 'Strava answered without the athlete');
    const athlete = tokens.athlete;
    const { userId, email, previousOwner } = await upsertStravaSignIn(deps.sql, athlete, tokens, scope, deps.clock.now());
    if (previousOwner !== null) {
      const revoked = await revokeAllSessionsForUser(deps.sql, previousOwner, { clock: deps.clock, reason: 'athlete_reowned' });
      await purgeReownedAthlete(deps, athlete.id, previousOwner);
      deps.log?.({
        level: 'warn',
        function: 'oauth-strava-token-exchange',
        status: 200,
        message: `athlete ${athlete.id} was held by user ${previousOwner}: re-owned by the Strava sign-in, ${revoked} session(s) of that user revoked, its caches purged`,
      });
    }
    const session = await createSession(deps.sql, { userId, athleteId: athlete.id, clock: deps.clock });
    const pair: TokenPair = tokenPair(deps, {
      userId,
      email,
      athleteId: athlete.id,
      sessionId: session.sessionId,
      refreshToken: session.refreshToken,
      refreshExpiresAt: session.expiresAt,
    });
    if (redirect) {
      return redirectTo(
        deepLinkUrl(deepLink, {
          access_token: pair.access_token,
          refresh_token: pair.refresh_token,
          expires_in: pair.expires_in,
          expires_at: pair.expires_at,
          token_type: pair.token_type,
          athlete_id: athlete.id,
          state: p.state,
        }),
      );
    }
    return json(200, {
      ...pair,
      athlete: { id: athlete.id, firstname: athlete.firstname, lastname: athlete.lastname },
      ...(p.state !== undefined ? { state: p.state } : {}),
    });
  }, logUnexpected(deps, 'oauth-strava-token-exchange'));
}
