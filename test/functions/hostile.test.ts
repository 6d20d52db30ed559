import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetlifyEvent } from '../../src/emulator/types.js';
import { FUNCTIONS } from '../../src/functions/index.js';
import { connectAthlete, context, event, expectClientError, harness, tokenFor, type Harness } from './helpers.js';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const ROUTES: Record<string, string> = {
  'api-activities': '/api/activities',
  'api-streams': '/api/streams/1',
  'ai-brief': '/api/ai-brief',
  'oauth-strava-token-exchange': '/oauth/strava/callback',
  'auth-refresh-token': '/auth/refresh',
  'auth-disconnect': '/auth/disconnect',
  'strava-webhook': '/webhooks/strava',
  'backfill-background': '/.netlify/functions/backfill-background',
  'nightly-reconcile': '/.netlify/functions/nightly-reconcile',
  cleanup: '/.netlify/functions/cleanup',
};
const AUTHENTICATED = ['api-activities', 'api-streams', 'ai-brief', 'backfill-background', 'auth-disconnect'];
const WITH_BODY = ['oauth-strava-token-exchange', 'auth-refresh-token', 'strava-webhook', 'backfill-background', 'auth-disconnect'];

describe('hostile input on every handler: a 4xx JSON error, never a 500', () => {
  let h: Harness;
  let athlete: number;
  beforeAll(async () => {
    h = await harness();
    athlete = h.athleteIds[0]!;
    await connectAthlete(h, athlete);
  });
  afterAll(() => h.close());

  const call = (name: string, ev: NetlifyEvent) => FUNCTIONS.find((f) => f.name === name)!.create(h.deps)(ev, context(name));

  it.each(Object.keys(ROUTES))('%s refuses unknown methods with 405', async (name) => {
    expect(expectClientError(await call(name, event(ROUTES[name]!, { method: 'PATCH', token: tokenFor(h, athlete) })), 405)).toBe(
      'METHOD_NOT_ALLOWED',
    );
  });

  const badTokens: Array<[string, () => string]> = [
    ['garbage', () => 'garbage'],
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', role: 'service_role', exp: 9e9 })}.`],
    ['oversized', () => `${'a'.repeat(9000)}.b.c`],
    ['signed with another secret', () => tokenFor(h, athlete).slice(0, -4) + 'abcd'],
  ];
  for (const name of AUTHENTICATED) {
    it.each(badTokens)(`${name} refuses a %s token with 401`, async (_label, make) => {
      const method = name === 'backfill-background' || name === 'auth-disconnect' ? 'POST' : 'GET';
      const res = await call(name, event(ROUTES[name]!, { method, token: make(), body: '{}' }));
      expect(expectClientError(res, 401)).toMatch(/^(JWT_|AUTH_)/);
    });
  }

  const badBodies: Array<[string, Partial<NetlifyEvent>]> = [
    ['broken JSON', { body: '{"a":' }],
    ['a JSON array', { body: '[1,2,3]' }],
    ['a JSON string', { body: '"hello"' }],
    ['a 1 MB body', { body: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }) }],
    ['base64 garbage', { body: '!!!!', isBase64Encoded: true }],
    ['prototype pollution', { body: '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}' }],
  ];
  for (const name of WITH_BODY) {
    it.each(badBodies)(`${name} answers %s with a 4xx`, async (_label, patch) => {
      const base = event(ROUTES[name]!, { method: 'POST', token: tokenFor(h, athlete, { role: 'service_role' }) });
      const res = await call(name, { ...base, ...patch } as NetlifyEvent);
      expectClientError(res);
      expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
    });
  }

  it('times past the year 9999 are a 400, never a 500 from the database', async () => {
    const service = tokenFor(h, athlete, { role: 'service_role' });
    for (const [field, value] of [['since', 1e300], ['until', 1e15], ['since', '999999999999']] as const) {
      const body = JSON.stringify({ athlete_id: athlete, [field]: value });
      const res = await call('backfill-background', event(ROUTES['backfill-background']!, { method: 'POST', token: service, body }));
      expect(expectClientError(res, 400), `${field}=${value}`).toBe('INVALID_TIME');
    }
    const list = await call('api-activities', event(ROUTES['api-activities']!, { token: tokenFor(h, athlete), query: { after: '999999999999' } }));
    expect(expectClientError(list, 400)).toBe('INVALID_TIME');
  });

  it('scheduled functions ignore whatever body they get', async () => {
    for (const name of ['cleanup', 'nightly-reconcile']) {
      const res = await call(name, event('/.netlify/functions/' + name, { method: 'POST', body: '{broken' }));
      expect(res.statusCode).toBe(200);
    }
  });
});
