import { createHmac, timingSafeEqual, randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { VeloError } from '../errors.js';
import { UUID_RE, emailForAthlete, userIdForAthlete } from './user-id.js';

export const JWT_ALG = 'HS256';
export const JWT_MAX_BYTES = 8 * 1024;
export const ACCESS_TOKEN_TTL_S = 3600;
export const DEFAULT_CLOCK_SKEW_S = 30;
export const DEFAULT_AUDIENCE = 'authenticated';
export const DEFAULT_ISSUER = 'http://127.0.0.1:8888/auth/v1';

export const ROLES = ['authenticated', 'anon', 'service_role'] as const;
export type Role = (typeof ROLES)[number];

export interface AccessClaims {
  sub?: string;
  email?: string;
  role: Role;
  aud?: string | string[];
  iss?: string;
  iat: number;
  exp: number;
  nbf?: number;
  session_id?: string;
  app_metadata?: { provider?: string; athlete_id?: number; [k: string]: unknown };
  user_metadata?: Record<string, unknown>;
  [claim: string]: unknown;
}

/** Every reason a token can fail verification; each is its own stable error code. */
export const JWT_ERRORS = {
  malformed: 'JWT_MALFORMED',
  tooLarge: 'JWT_TOO_LARGE',
  algNone: 'JWT_ALG_NONE',
  algUnexpected: 'JWT_ALG_UNEXPECTED',
  badSignature: 'JWT_BAD_SIGNATURE',
  expired: 'JWT_EXPIRED',
  notYetValid: 'JWT_NOT_YET_VALID',
  badAudience: 'JWT_BAD_AUDIENCE',
  badSubject: 'JWT_BAD_SUBJECT',
  badRole: 'JWT_BAD_ROLE',
} as const;

export class JwtError extends VeloError {
  readonly httpStatus = 401;
}

const b64url = (buf: Buffer | string): string => Buffer.from(buf).toString('base64url');

function hmac(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

/** Signs arbitrary claims with HS256. Low level: prefer mintAccessToken. */
export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const header = b64url(JSON.stringify({ alg: JWT_ALG, typ: 'JWT' }));
  const payload = b64url(JSON.stringify(claims));
  return `${header}.${payload}.${b64url(hmac(secret, `${header}.${payload}`))}`;
}

export interface MintOptions {
  secret: string;
  clock: Clock;
  /** Strava athlete id; derives sub and email unless given. */
  athleteId?: number;
  userId?: string;
  email?: string;
  role?: Role;
  ttlSeconds?: number;
  issuer?: string;
  sessionId?: string;
  userMetadata?: Record<string, unknown>;
  /** Extra or overriding claims (`token mint --claims`). */
  extraClaims?: Record<string, unknown>;
}

export interface MintedToken {
  token: string;
  claims: AccessClaims;
  expiresAt: Date;
}

/** Mints an access token shaped like Supabase's. */
export function mintAccessToken(opts: MintOptions): MintedToken {
  const role = opts.role ?? 'authenticated';
  const iat = Math.floor(opts.clock.now() / 1000);
  const exp = iat + (opts.ttlSeconds ?? ACCESS_TOKEN_TTL_S);
  const sub = opts.userId ?? (opts.athleteId !== undefined ? userIdForAthlete(opts.athleteId) : undefined);
  const claims: AccessClaims = {
    iss: opts.issuer ?? DEFAULT_ISSUER,
    ...(sub ? { sub } : {}),
    aud: DEFAULT_AUDIENCE,
    exp,
    iat,
    role,
    ...(opts.email || opts.athleteId !== undefined
      ? { email: opts.email ?? emailForAthlete(opts.athleteId!) }
      : {}),
    ...(sub ? { session_id: opts.sessionId ?? randomUUID() } : {}),
    app_metadata: {
      provider: 'strava',
      providers: ['strava'],
      ...(opts.athleteId !== undefined ? { athlete_id: opts.athleteId } : {}),
    },
    user_metadata: opts.userMetadata ?? {},
    ...opts.extraClaims,
  };
  return { token: signJwt(claims, opts.secret), claims, expiresAt: new Date(exp * 1000) };
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signature: string;
}

function fail(code: string, message: string, hint?: string): never {
  throw new JwtError(code, message, hint);
}

const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;

function decodeSegment(segment: string, what: string): Record<string, unknown> {
  if (!BASE64URL_RE.test(segment)) fail(JWT_ERRORS.malformed, `token ${what} is not base64url`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    fail(JWT_ERRORS.malformed, `token ${what} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail(JWT_ERRORS.malformed, `token ${what} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** Splits and parses a token WITHOUT verifying it. */
export function decodeJwt(token: string): DecodedJwt {
  if (Buffer.byteLength(token) > JWT_MAX_BYTES) {
    fail(JWT_ERRORS.tooLarge, `token is larger than ${JWT_MAX_BYTES} bytes`);
  }
  const parts = token.trim().split('.');
  if (parts.length !== 3) fail(JWT_ERRORS.malformed, `token has ${parts.length} segments, expected 3`);
  // Buffer.from(…, 'base64url') skips characters it does not know: without this check a valid
  // signature with junk appended would still verify.
  if (!BASE64URL_RE.test(parts[2]!)) fail(JWT_ERRORS.malformed, 'token signature is not base64url');
  return {
    header: decodeSegment(parts[0]!, 'header'),
    claims: decodeSegment(parts[1]!, 'payload'),
    signature: parts[2]!,
  };
}

export interface VerifyOptions {
  secret: string;
  clock: Clock;
  clockSkewSeconds?: number;
  audience?: string;
}

/** Format, algorithm and signature: everything about a token that time cannot change. */
function verifySigned(token: string, secret: string): Record<string, unknown> {
  const { header, claims, signature } = decodeJwt(token);
  if (typeof header.alg !== 'string' || header.alg.toLowerCase() === 'none') {
    fail(JWT_ERRORS.algNone, 'token is unsigned (alg "none")');
  }
  if (header.alg !== JWT_ALG) fail(JWT_ERRORS.algUnexpected, `token algorithm ${header.alg} is not ${JWT_ALG}`);

  const [h, p] = token.trim().split('.');
  const expected = hmac(secret, `${h}.${p}`);
  const given = Buffer.from(signature, 'base64url');
  // Only the canonical spelling: a last character differing in its unused low bits decodes to the
  // same bytes, and would otherwise make several distinct tokens verify.
  const canonical = given.toString('base64url') === signature;
  if (!canonical || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    fail(JWT_ERRORS.badSignature, 'token signature does not match the JWT secret', 'check SUPABASE_JWT_SECRET / --secret');
  }
  return claims;
}

/** exp, nbf and iat against the clock (with skew): the only checks whose answer changes over time. */
function checkTimeClaims(claims: Record<string, unknown>, opts: VerifyOptions): void {
  const now = Math.floor(opts.clock.now() / 1000);
  const skew = opts.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_S;
  if (typeof claims.exp !== 'number') fail(JWT_ERRORS.malformed, 'token has no numeric exp claim');
  if (now - skew >= claims.exp) fail(JWT_ERRORS.expired, `token expired ${now - claims.exp}s ago`, 'mint a new one');
  for (const c of ['nbf', 'iat'] as const) {
    const v = claims[c];
    if (v !== undefined && typeof v !== 'number') fail(JWT_ERRORS.malformed, `token ${c} claim is not a number`);
    if (typeof v === 'number' && v > now + skew) fail(JWT_ERRORS.notYetValid, `token ${c} is ${v - now}s in the future`);
  }
}

/** Role, audience and subject. */
function checkIdentityClaims(claims: Record<string, unknown>, opts: VerifyOptions): AccessClaims {
  const role = claims.role;
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    fail(JWT_ERRORS.badRole, `token role ${JSON.stringify(role)} is not one of ${ROLES.join(', ')}`);
  }
  const audience = opts.audience ?? DEFAULT_AUDIENCE;
  const aud = claims.aud;
  const auds = aud === undefined ? [] : Array.isArray(aud) ? aud : [aud];
  // Supabase's anon and service_role keys carry no aud; user tokens must name ours.
  if ((role === 'authenticated' || aud !== undefined) && !auds.includes(audience)) {
    fail(JWT_ERRORS.badAudience, `token audience ${JSON.stringify(aud)} is not "${audience}"`);
  }
  const sub = claims.sub;
  if ((role === 'authenticated' || sub !== undefined) && (typeof sub !== 'string' || !UUID_RE.test(sub))) {
    fail(JWT_ERRORS.badSubject, sub === undefined ? 'token has no sub claim' : 'token sub is not a uuid');
  }
  return claims as AccessClaims;
}

/**
 * Verifies signature, algorithm, time claims, audience, subject and role. Returns the claims or
 * throws a JwtError whose code names the exact reason.
 */
export function verifyAccessToken(token: string, opts: VerifyOptions): AccessClaims {
  const claims = verifySigned(token, opts.secret);
  checkTimeClaims(claims, opts);
  return checkIdentityClaims(claims, opts);
}

export const VERIFIED_TOKEN_CACHE_SIZE = 1024;

/**
 * verifyAccessToken for a server. A token that passed every check once is remembered (signature,
 * role, audience and subject cannot change); its time claims are checked again on every call, so
 * an expired token is refused as soon as it expires. A token that failed is never remembered.
 */
export function createTokenVerifier(opts: VerifyOptions & { max?: number }): (token: string) => AccessClaims {
  const max = opts.max ?? VERIFIED_TOKEN_CACHE_SIZE;
  const verified = new Map<string, AccessClaims>();
  // The same token arriving again and again (one app, one developer) skips even the map lookup,
  // which would hash the whole token string.
  let lastToken = '';
  let lastClaims: AccessClaims | undefined;
  return (token) => {
    if (token === lastToken && lastClaims) {
      checkTimeClaims(lastClaims, opts);
      return lastClaims;
    }
    let claims = verified.get(token);
    if (claims) {
      verified.delete(token); // least recently used goes first: move this one to the end
      checkTimeClaims(claims, opts);
    } else {
      claims = Object.freeze(verifyAccessToken(token, opts));
      if (verified.size >= max) verified.delete(verified.keys().next().value!);
    }
    verified.set(token, claims);
    lastToken = token;
    lastClaims = claims;
    return claims;
  };
}

/** Athlete id carried by the token, if any (no DB round trip needed). */
export function athleteIdOf(claims: AccessClaims): number | undefined {
  const id = claims.app_metadata?.athlete_id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : undefined;
}
