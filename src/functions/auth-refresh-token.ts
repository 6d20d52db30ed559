import type { Handler } from '../emulator/types.js';
import { rotateRefreshToken } from '../auth/sessions.js';
import { isVeloError } from '../errors.js';
import type { FunctionDeps } from './deps.js';
import { jsonBody } from './lib/body.js';
import { handler, logUnexpected } from './lib/handle.js';
import { badRequest, HttpError, json } from './lib/http.js';
import { requireMethod } from './lib/method.js';
import { tokenPair } from './lib/tokens.js';

/**
 * `POST /auth/refresh` `{refresh_token}`: rotates the refresh token and returns a new pair.
 * A token already rotated (or revoked) is reuse: the whole session is revoked and the answer is
 * 401 REFRESH_TOKEN_REUSED; the app must sign in again.
 */
export function createAuthRefreshTokenHandler(deps: FunctionDeps): Handler {
  return handler(async (event) => {
    requireMethod(event, ['POST']);
    const body = jsonBody(event);
    const token = body['refresh_token'];
    if (typeof token !== 'string' || token.length === 0) {
      throw badRequest('REFRESH_TOKEN_REQUIRED', 'Send {"refresh_token": "..."}');
    }
    const taken = deps.credentials?.take('/auth/refresh refresh_token', token);
    if (taken && !taken.ok) {
      throw new HttpError(429, 'RATE_LIMITED', `too many requests to /auth/refresh with this refresh token; retry in ${taken.retryAfterS} s`, {
        'retry-after': String(taken.retryAfterS),
      });
    }
    let rotated;
    try {
      rotated = await rotateRefreshToken(deps.sql, token, { clock: deps.clock });
    } catch (err) {
      if (isVeloError(err) && err.code.startsWith('REFRESH_TOKEN_')) throw new HttpError(401, err.code, err.message);
      throw err;
    }
    const pair = tokenPair(deps, {
      userId: rotated.userId,
      athleteId: rotated.athleteId,
      sessionId: rotated.sessionId,
      refreshToken: rotated.refreshToken,
      refreshExpiresAt: rotated.expiresAt,
    });
    return json(200, pair);
  }, logUnexpected(deps, 'auth-refresh-token'));
}
