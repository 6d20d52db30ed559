/** The fake Strava's OAuth state, in memory: one-time codes, access and refresh tokens. */
import { randomBytes } from 'node:crypto';

export const ACCESS_TOKEN_TTL_S = 6 * 3600;
export const CODE_TTL_S = 10 * 60;
export const DEFAULT_SCOPE = 'read';

export interface TokenGrant {
  athleteId: number;
  scope: string;
}

interface AccessEntry extends TokenGrant {
  expiresAt: number;
}

const opaque = (): string => randomBytes(20).toString('hex');

export class FakeTokenStore {
  private readonly codes = new Map<string, TokenGrant & { expiresAt: number; clientId: string }>();
  private readonly access = new Map<string, AccessEntry>();
  private readonly refresh = new Map<string, TokenGrant>();

  issueCode(grant: TokenGrant, clientId: string, nowS: number): string {
    const code = opaque();
    this.codes.set(code, { ...grant, clientId, expiresAt: nowS + CODE_TTL_S });
    return code;
  }

  /** Redeems a code once; undefined when unknown, used, expired or for another client. */
  redeemCode(code: string, clientId: string, nowS: number): TokenGrant | undefined {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    if (!entry || entry.expiresAt < nowS || entry.clientId !== clientId) return undefined;
    return { athleteId: entry.athleteId, scope: entry.scope };
  }

  issueTokens(grant: TokenGrant, nowS: number, ttlS = ACCESS_TOKEN_TTL_S): { accessToken: string; refreshToken: string; expiresAt: number } {
    const accessToken = opaque();
    const refreshToken = opaque();
    const expiresAt = nowS + ttlS;
    this.access.set(accessToken, { ...grant, expiresAt });
    this.refresh.set(refreshToken, grant);
    return { accessToken, refreshToken, expiresAt };
  }

  /** Rotates a refresh token: the old one stops working. */
  useRefreshToken(token: string): TokenGrant | undefined {
    const grant = this.refresh.get(token);
    if (grant) this.refresh.delete(token);
    return grant;
  }

  /** The grant behind a live access token, or why not. */
  checkAccess(token: string, nowS: number): AccessEntry | 'invalid' | 'expired' {
    const entry = this.access.get(token);
    if (!entry) return 'invalid';
    if (entry.expiresAt <= nowS) return 'expired';
    return entry;
  }

  /** Expires an access token at once (tests of refresh-on-401). */
  expire(token: string): void {
    const entry = this.access.get(token);
    if (entry) entry.expiresAt = 0;
  }

  revokeAthlete(athleteId: number): void {
    for (const [k, v] of this.access) if (v.athleteId === athleteId) this.access.delete(k);
    for (const [k, v] of this.refresh) if (v.athleteId === athleteId) this.refresh.delete(k);
  }
}
