import { ACCESS_TOKEN_TTL_S, mintAccessToken } from '../../auth/jwt.js';
import { emailForAthlete } from '../../auth/user-id.js';
import type { FunctionDeps } from '../deps.js';

/** What the app receives after sign-in or refresh (Supabase's token response, plus the athlete). */
export interface TokenPair {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  /** Unix seconds. */
  expires_at: number;
  refresh_token: string;
  /** Unix seconds. */
  refresh_token_expires_at: number;
  user: { id: string; email: string };
  athlete_id: number | null;
}

/** Mints the 1 h access token for a session and packs it with the session's refresh token. */
export function tokenPair(
  deps: FunctionDeps,
  s: { userId: string; athleteId: number | null; sessionId: string; refreshToken: string; refreshExpiresAt: Date; email?: string },
): TokenPair {
  const email = s.email ?? (s.athleteId !== null ? emailForAthlete(s.athleteId) : '');
  const minted = mintAccessToken({
    secret: deps.secrets.jwtSecret,
    clock: deps.clock,
    userId: s.userId,
    ...(s.athleteId !== null ? { athleteId: s.athleteId } : {}),
    ...(email ? { email } : {}),
    sessionId: s.sessionId,
    ttlSeconds: ACCESS_TOKEN_TTL_S,
    ...(deps.config.issuer ? { issuer: deps.config.issuer } : {}),
  });
  return {
    access_token: minted.token,
    token_type: 'bearer',
    expires_in: ACCESS_TOKEN_TTL_S,
    expires_at: minted.claims.exp,
    refresh_token: s.refreshToken,
    refresh_token_expires_at: Math.floor(s.refreshExpiresAt.getTime() / 1000),
    user: { id: s.userId, email },
    athlete_id: s.athleteId,
  };
}
