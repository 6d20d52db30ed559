import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRouter,
  defaultNetlifyTomlPath,
  loadRedirects,
  netlifyTomlPath,
  parseRedirects,
  parseSchedules,
  loadSchedules,
} from '../../src/emulator/redirects.js';
import { readFileSync } from 'node:fs';

const router = createRouter(loadRedirects(defaultNetlifyTomlPath()));

describe('netlify.toml redirects', () => {
  it('the shipped netlify.toml routes every /api-style path of the contract to its function', () => {
    const cases: Array<[string, string]> = [
      ['/api/activities', 'api-activities'],
      ['/api/streams/42', 'api-streams'],
      ['/api/ai-brief', 'ai-brief'],
      ['/oauth/strava/callback', 'oauth-strava-token-exchange'],
      ['/auth/refresh', 'auth-refresh-token'],
      ['/webhooks/strava', 'strava-webhook'],
    ];
    for (const [path, fn] of cases) {
      expect(router.match(path), path).toMatchObject({ kind: 'function', functionName: fn });
    }
  });

  it('binds :activityId from the path, decoded', () => {
    expect(router.match('/api/streams/123456789')).toEqual({ kind: 'function', functionName: 'api-streams', params: { activityId: '123456789' } });
    expect(router.match('/api/streams/a%20b')).toMatchObject({ params: { activityId: 'a b' } });
  });

  it('a remembered route answers the same as the first time and cannot be changed by a caller', () => {
    const r = createRouter(loadRedirects(defaultNetlifyTomlPath()));
    const first = r.match('/api/streams/42');
    expect(r.match('/api/streams/42')).toEqual(first);
    expect(r.match('/api/streams/43')).toMatchObject({ params: { activityId: '43' } });
    expect(() => {
      (first as { params: Record<string, string> }).params.activityId = '99';
    }).toThrow(TypeError);
    expect(r.match('/api/streams/42')).toMatchObject({ params: { activityId: '42' } });
    expect(r.match('/nope')).toBeNull();
    expect(r.match('/nope')).toBeNull();
  });

  it('a trailing slash matches the same route; extra or missing segments do not', () => {
    expect(router.match('/api/activities/')).toMatchObject({ functionName: 'api-activities' });
    expect(router.match('/api/streams/1/2')).toBeNull();
    expect(router.match('/api/streams')).toBeNull();
    expect(router.match('/api/streams/')).toBeNull();
    expect(router.match('/nope')).toBeNull();
  });

  it('/.netlify/functions/<name> always routes directly, even with no rule', () => {
    expect(createRouter([]).match('/.netlify/functions/backfill-background')).toEqual({
      kind: 'function',
      functionName: 'backfill-background',
      params: {},
    });
    expect(createRouter([]).match('/.netlify/functions/')).toBeNull();
    expect(createRouter([]).match('/.netlify/functions/a/b')).toBeNull();
  });

  it('splats, placeholders in `to`, query conditions and 3xx redirects work as on Netlify', () => {
    const rules = parseRedirects(`
[[redirects]]
from = "/old/*"
to = "/new/:splat"
status = 301

[[redirects]]
from = "/fn/*"
to = "/.netlify/functions/:splat"
status = 200

[[redirects]]
from = "/search"
to = "/.netlify/functions/search"
status = 200
query = { q = ":q", kind = "ride" }

[[redirects]]
from = "/static/*"
to = "/assets/:splat"
status = 200
force = true
`);
    const r = createRouter(rules);
    expect(r.match('/old/a/b')).toEqual({ kind: 'redirect', status: 301, location: '/new/a/b' });
    expect(r.match('/fn/cleanup')).toEqual({ kind: 'function', functionName: 'cleanup', params: { splat: 'cleanup' } });
    expect(r.match('/search', { q: 'alps', kind: 'ride' })).toEqual({ kind: 'function', functionName: 'search', params: { q: 'alps' } });
    expect(r.match('/search', { q: 'alps', kind: 'run' })).toBeNull();
    expect(r.match('/search')).toBeNull();
    expect(r.match('/static/x.png')).toEqual({ kind: 'rewrite', path: '/assets/x.png', params: { splat: 'x.png' } });
    expect(rules[3]!.force).toBe(true);
    expect(rules[0]!.status).toBe(301);
  });

  it('the first matching rule wins', () => {
    const r = createRouter(
      parseRedirects(`
[[redirects]]
from = "/api/streams/latest"
to = "/.netlify/functions/latest"
status = 200
[[redirects]]
from = "/api/streams/:id"
to = "/.netlify/functions/api-streams"
status = 200
`),
    );
    expect(r.match('/api/streams/latest')).toMatchObject({ functionName: 'latest' });
    expect(r.match('/api/streams/9')).toMatchObject({ functionName: 'api-streams' });
  });

  it('a broken netlify.toml is a clear INVALID_NETLIFY_TOML error naming the file and rule', () => {
    expect(() => parseRedirects('[[redirects]\nfrom=', 'site/netlify.toml')).toThrow(/site\/netlify\.toml/);
    expect(() => parseRedirects('[[redirects]]\nfrom = "api"\nto = "/x"')).toThrow(expect.objectContaining({ code: 'INVALID_NETLIFY_TOML', message: expect.stringMatching(/#1.*from/) }));
    expect(() => parseRedirects('[[redirects]]\nfrom = "/a"\nto = "/x"\nstatus = "200"')).toThrow(/status/);
    expect(() => parseRedirects('[[redirects]]\nfrom = "/a/*/b"\nto = "/x"')).toThrow(/last segment/);
    expect(parseRedirects('[build]\npublish = "dist"')).toEqual([]);
  });

  it('reads schedules declared in [functions."name"]', () => {
    expect(parseSchedules(readFileSync(defaultNetlifyTomlPath(), 'utf8'))).toEqual({ 'nightly-reconcile': '0 3 * * *', cleanup: '@hourly' });
    const dir = mkdtempSync(join(tmpdir(), 'vr-toml-'));
    writeFileSync(join(dir, 'netlify.toml'), '[functions.cleanup]\nschedule = "every hour"\n');
    expect(() => loadSchedules(join(dir, 'netlify.toml'))).toThrow(expect.objectContaining({ code: 'INVALID_NETLIFY_TOML', message: expect.stringMatching(/cleanup.*every hour/) }));
  });

  it("a project's own netlify.toml in cwd is preferred over the shipped default", () => {
    const dir = mkdtempSync(join(tmpdir(), 'vr-toml-'));
    expect(netlifyTomlPath(dir)).toBe(defaultNetlifyTomlPath());
    writeFileSync(join(dir, 'netlify.toml'), '[[redirects]]\nfrom = "/x"\nto = "/.netlify/functions/x"\nstatus = 200\n');
    expect(netlifyTomlPath(dir)).toBe(join(dir, 'netlify.toml'));
    expect(createRouter(loadRedirects(netlifyTomlPath(dir))).match('/x')).toMatchObject({ functionName: 'x' });
  });
});
