import { createHmac } from 'node:crypto';
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import { JWT_ERRORS, createTokenVerifier, mintAccessToken, signJwt, verifyAccessToken, decodeJwt } from '../../src/auth/jwt.js';
import { emailForAthlete, userIdForAthlete } from '../../src/auth/user-id.js';
import { ManualClock } from '../../src/clock.js';

const SECRET = 'test-secret-with-at-least-32-characters!!';
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const clock = new ManualClock(T0);
const now = Math.floor(T0 / 1000);
const b64 = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');

function raw(header: Record<string, unknown>, claims: Record<string, unknown>, secret = SECRET): string {
  const h = b64(header);
  const p = b64(claims);
  return `${h}.${p}.${createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url')}`;
}

const validClaims = () => ({
  sub: userIdForAthlete(104662),
  role: 'authenticated',
  aud: 'authenticated',
  iat: now,
  exp: now + 3600,
});

function expectCode(token: string, code: string): void {
  let caught: unknown;
  try {
    verifyAccessToken(token, { secret: SECRET, clock });
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).toBeDefined();
  expect((caught as { code: string }).code).toBe(code);
}

describe('mintAccessToken', () => {
  it('mints Supabase-shaped claims for an athlete', () => {
    const { token, claims, expiresAt } = mintAccessToken({ secret: SECRET, clock, athleteId: 104662 });
    expect(claims).toMatchObject({
      sub: userIdForAthlete(104662),
      email: emailForAthlete(104662),
      role: 'authenticated',
      aud: 'authenticated',
      iat: now,
      exp: now + 3600,
      app_metadata: { provider: 'strava', athlete_id: 104662 },
      user_metadata: {},
    });
    expect(claims.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(expiresAt.getTime()).toBe((now + 3600) * 1000);
    expect(verifyAccessToken(token, { secret: SECRET, clock })).toEqual(claims);
  });

  it('gives the same athlete the same sub every time, and another athlete another', () => {
    const a = mintAccessToken({ secret: SECRET, clock, athleteId: 7 }).claims.sub;
    expect(mintAccessToken({ secret: SECRET, clock, athleteId: 7 }).claims.sub).toBe(a);
    expect(mintAccessToken({ secret: SECRET, clock, athleteId: 8 }).claims.sub).not.toBe(a);
  });

  it('verifies with an independent implementation (jose)', async () => {
    const { token } = mintAccessToken({ secret: SECRET, clock: { now: () => Date.now(), sleep: async () => {} }, athleteId: 42 });
    const { payload, protectedHeader } = await jose.jwtVerify(token, new TextEncoder().encode(SECRET), {
      algorithms: ['HS256'],
      audience: 'authenticated',
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.sub).toBe(userIdForAthlete(42));
  });

  it('accepts a token signed by jose', async () => {
    const token = await new jose.SignJWT(validClaims()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    expect(verifyAccessToken(token, { secret: SECRET, clock }).sub).toBe(userIdForAthlete(104662));
  });

  it('mints a service_role key without a subject that still verifies', () => {
    const { token, claims } = mintAccessToken({ secret: SECRET, clock, role: 'service_role' });
    expect(claims.sub).toBeUndefined();
    expect(verifyAccessToken(token, { secret: SECRET, clock }).role).toBe('service_role');
  });
});

describe('verifyAccessToken: hostile tokens', () => {
  it('bad signature → JWT_BAD_SIGNATURE', () => expectCode(raw({ alg: 'HS256' }, validClaims(), 'another-secret-another-secret-another'), JWT_ERRORS.badSignature));
  it('tampered payload → JWT_BAD_SIGNATURE', () => {
    const [h, , s] = raw({ alg: 'HS256' }, validClaims()).split('.');
    expectCode(`${h}.${b64({ ...validClaims(), role: 'service_role' })}.${s}`, JWT_ERRORS.badSignature);
  });
  it('a signature whose last character differs only in its unused low bits → JWT_BAD_SIGNATURE (canonical base64url only)', () => {
    const token = raw({ alg: 'HS256' }, validClaims());
    expect(() => verifyAccessToken(token, { secret: SECRET, clock })).not.toThrow();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 32 bytes = 43 characters: the last carries 4 bits of data and 2 unused ones.
    const last = alphabet.indexOf(token.at(-1)!);
    const twins = [1, 2, 3].map((low) => `${token.slice(0, -1)}${alphabet[(last & ~3) | low]}`).filter((t) => t !== token);
    expect(twins).toHaveLength(3);
    for (const twin of twins) {
      expect(Buffer.from(twin.split('.')[2]!, 'base64url')).toEqual(Buffer.from(token.split('.')[2]!, 'base64url'));
      expectCode(twin, JWT_ERRORS.badSignature);
    }
  });
  it('alg none → JWT_ALG_NONE', () => expectCode(`${b64({ alg: 'none' })}.${b64(validClaims())}.`, JWT_ERRORS.algNone));
  it('alg "None" in other case → JWT_ALG_NONE', () => expectCode(`${b64({ alg: 'None' })}.${b64(validClaims())}.`, JWT_ERRORS.algNone));
  it('HS512 → JWT_ALG_UNEXPECTED', () => expectCode(raw({ alg: 'HS512' }, validClaims()), JWT_ERRORS.algUnexpected));
  it('RS256 → JWT_ALG_UNEXPECTED', () => expectCode(raw({ alg: 'RS256' }, validClaims()), JWT_ERRORS.algUnexpected));
  it('expired → JWT_EXPIRED', () => expectCode(raw({ alg: 'HS256' }, { ...validClaims(), exp: now - 120 }), JWT_ERRORS.expired));
  it('expired within the clock skew still verifies', () => {
    expect(verifyAccessToken(raw({ alg: 'HS256' }, { ...validClaims(), exp: now - 5 }), { secret: SECRET, clock }).role).toBe('authenticated');
    expect(() => verifyAccessToken(raw({ alg: 'HS256' }, { ...validClaims(), exp: now - 5 }), { secret: SECRET, clock, clockSkewSeconds: 0 })).toThrow(/expired/);
  });
  it('nbf in the future → JWT_NOT_YET_VALID', () => expectCode(raw({ alg: 'HS256' }, { ...validClaims(), nbf: now + 600 }), JWT_ERRORS.notYetValid));
  it('iat in the future → JWT_NOT_YET_VALID', () => expectCode(raw({ alg: 'HS256' }, { ...validClaims(), iat: now + 600 }), JWT_ERRORS.notYetValid));
  it('wrong audience → JWT_BAD_AUDIENCE', () => expectCode(raw({ alg: 'HS256' }, { ...validClaims(), aud: 'other' }), JWT_ERRORS.badAudience));
  it('missing audience on a user token → JWT_BAD_AUDIENCE', () => {
    const { aud: _drop, ...claims } = validClaims();
    expectCode(raw({ alg: 'HS256' }, claims), JWT_ERRORS.badAudience);
  });
  it('missing sub → JWT_BAD_SUBJECT', () => {
    const { sub: _drop, ...claims } = validClaims();
    expectCode(raw({ alg: 'HS256' }, claims), JWT_ERRORS.badSubject);
  });
  it('non-uuid sub → JWT_BAD_SUBJECT', () => expectCode(raw({ alg: 'HS256' }, { ...validClaims(), sub: "1' or '1'='1" }), JWT_ERRORS.badSubject));
  it('unknown role → JWT_BAD_ROLE', () => expectCode(raw({ alg: 'HS256' }, { ...validClaims(), role: 'postgres' }), JWT_ERRORS.badRole));
  it('missing role → JWT_BAD_ROLE', () => {
    const { role: _drop, ...claims } = validClaims();
    expectCode(raw({ alg: 'HS256' }, claims), JWT_ERRORS.badRole);
  });
  it('two segments → JWT_MALFORMED', () => expectCode('abc.def', JWT_ERRORS.malformed));
  it('non-base64 segment → JWT_MALFORMED', () => expectCode('a$b.c%d.e', JWT_ERRORS.malformed));
  it('valid signature with junk appended → JWT_MALFORMED', () => expectCode(`${raw({ alg: 'HS256' }, validClaims())}!!`, JWT_ERRORS.malformed));
  it('payload not JSON → JWT_MALFORMED', () => expectCode(`${b64({ alg: 'HS256' })}.${b64('not json')}.sig`, JWT_ERRORS.malformed));
  it('payload a JSON array → JWT_MALFORMED', () => expectCode(`${b64({ alg: 'HS256' })}.${b64([1])}.sig`, JWT_ERRORS.malformed));
  it('missing exp → JWT_MALFORMED', () => {
    const { exp: _drop, ...claims } = validClaims();
    expectCode(raw({ alg: 'HS256' }, claims), JWT_ERRORS.malformed);
  });
  it('over 8 KiB → JWT_TOO_LARGE', () => expectCode(raw({ alg: 'HS256' }, { ...validClaims(), pad: 'x'.repeat(9000) }), JWT_ERRORS.tooLarge));
  it('empty string → JWT_MALFORMED', () => expectCode('', JWT_ERRORS.malformed));
});

describe('decodeJwt', () => {
  it('decodes without verifying, even with the wrong secret', () => {
    const token = signJwt(validClaims(), 'some-other-secret-some-other-secret!!');
    expect(decodeJwt(token).claims.sub).toBe(userIdForAthlete(104662));
  });
});

describe('createTokenVerifier (the server\'s cached verifier)', () => {
  it('refuses a remembered token once it expires', () => {
    const c = new ManualClock(T0);
    const verify = createTokenVerifier({ secret: SECRET, clock: c, clockSkewSeconds: 0 });
    const { token } = mintAccessToken({ secret: SECRET, clock: c, athleteId: 1, ttlSeconds: 60 });
    expect(verify(token).sub).toBe(userIdForAthlete(1));
    c.advance(59_000);
    expect(verify(token).sub).toBe(userIdForAthlete(1));
    c.advance(2_000);
    expect(() => verify(token)).toThrow(expect.objectContaining({ code: JWT_ERRORS.expired }));
  });

  it('the token asked for again and again is still checked against the clock each time', () => {
    const c = new ManualClock(T0);
    const verify = createTokenVerifier({ secret: SECRET, clock: c, clockSkewSeconds: 0 });
    const a = mintAccessToken({ secret: SECRET, clock: c, athleteId: 1, ttlSeconds: 60 }).token;
    const b = mintAccessToken({ secret: SECRET, clock: c, athleteId: 2, ttlSeconds: 600 }).token;
    for (let i = 0; i < 3; i++) expect(verify(a).sub).toBe(userIdForAthlete(1));
    expect(verify(b).sub).toBe(userIdForAthlete(2));
    expect(verify(a).sub).toBe(userIdForAthlete(1));
    c.advance(61_000);
    expect(() => verify(a)).toThrow(expect.objectContaining({ code: JWT_ERRORS.expired }));
    expect(() => verify(a)).toThrow(expect.objectContaining({ code: JWT_ERRORS.expired }));
    expect(verify(b).sub).toBe(userIdForAthlete(2));
  });

  it('never remembers a token that fails a claim check', () => {
    const c = new ManualClock(T0);
    const verify = createTokenVerifier({ secret: SECRET, clock: c });
    const wrongAudience = signJwt({ ...validClaims(), aud: 'someone-else' }, SECRET);
    for (let i = 0; i < 2; i++) expect(() => verify(wrongAudience)).toThrow(expect.objectContaining({ code: JWT_ERRORS.badAudience }));
  });

  it('never remembers a bad signature', () => {
    const verify = createTokenVerifier({ secret: SECRET, clock });
    const forged = raw({ alg: 'HS256' }, validClaims(), 'another-secret-another-secret-another');
    for (let i = 0; i < 3; i++) expect(() => verify(forged)).toThrow(expect.objectContaining({ code: JWT_ERRORS.badSignature }));
  });

  it('stays bounded: the oldest tokens are forgotten, and re-verified when seen again', () => {
    const verify = createTokenVerifier({ secret: SECRET, clock, max: 2 });
    const tokens = [1, 2, 3].map((a) => mintAccessToken({ secret: SECRET, clock, athleteId: a }).token);
    for (const t of tokens) verify(t);
    expect(verify(tokens[0]!).sub).toBe(userIdForAthlete(1));
  });
});
