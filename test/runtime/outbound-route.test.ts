import { describe, expect, it } from 'vitest';
import { compilePolicy, rewrittenPath } from '../../src/runtime/outbound-route.js';

const dest = (url: string) => new URL(url);

describe('compilePolicy', () => {
  const policy = compilePolicy({
    rewrites: {
      'www.strava.com': 'http://127.0.0.1:8888/strava/',
      'api.example.com:8443': 'http://127.0.0.1:8888/example',
      'api.stripe.com': 'https://api.stripe.com',
    },
    online: false,
  });

  it('rewrites a host to its base URL whatever the port, the trailing slash dropped', () => {
    const route = policy.route(dest('https://WWW.Strava.com/api/v3/athlete'));
    expect(route.kind).toBe('rewrite');
    if (route.kind !== 'rewrite') return;
    expect(route.target.origin).toBe('http://127.0.0.1:8888');
    expect(rewrittenPath(route.target, '/api/v3/athlete?per_page=2')).toBe('/strava/api/v3/athlete?per_page=2');
  });

  it('a host:port key matches that port only', () => {
    expect(policy.route(dest('https://api.example.com:8443/x')).kind).toBe('rewrite');
    expect(policy.route(dest('https://api.example.com/x')).kind).toBe('refuse');
  });

  it('loopback in every spelling and the rewrite targets pass; a host mapped to itself passes offline', () => {
    for (const url of ['http://127.0.0.1:1/', 'http://127.3.4.5/', 'http://localhost:9/', 'http://[::1]:9/', 'http://app.localhost/']) {
      expect(policy.route(dest(url)).kind, url).toBe('pass');
    }
    expect(policy.route(dest('https://api.stripe.com/v1/charges')).kind).toBe('rewrite');
  });

  it('refuses other hosts naming them (with a non-default port), unless online', () => {
    const route = policy.route(dest('http://10.0.0.5:5432/'));
    expect(route.kind === 'refuse' && route.error.message).toMatch(/offline: the request to 10\.0\.0\.5:5432 was refused/);
    expect(route.kind === 'refuse' && route.error.hint).toMatch(/--online/);
    expect(compilePolicy({ rewrites: {}, online: true }).route(dest('https://api.netlify.com/')).kind).toBe('pass');
  });

  it('a rewrite that is not an http(s) URL is rejected when the policy is compiled', () => {
    expect(() => compilePolicy({ rewrites: { 'a.com': 'ftp://x' }, online: false })).toThrow(/must be an http\(s\) URL/);
    expect(() => compilePolicy({ rewrites: { 'a.com': 'not a url' }, online: false })).toThrow(/is not a URL/);
  });
});
