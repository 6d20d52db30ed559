import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRouter } from '../../src/emulator/redirects.js';
import { readInSourceConfig } from '../../src/runtime/config.js';
import { discoverFunctionFiles, functionFolders, readProjectToml } from '../../src/runtime/discover.js';
import { listFunctions } from '../../src/runtime/listing.js';
import { createProjectRouter } from '../../src/runtime/routes.js';
import { FIXTURE_SITE } from './helpers.js';

const dirs: string[] = [];
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vr-discover-'));
  dirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('discovery', () => {
  it('finds name.ext, name/index.ext and name/name.ext in the functions folder and the seed\'s two folders', () => {
    const dir = project({
      'netlify/functions/a.ts': '',
      'netlify/functions/b/index.mjs': '',
      'netlify/functions/c/c.cjs': '',
      'netlify/functions/types.d.ts': '',
      'netlify/functions/readme.md': '',
      'netlify/functions-background/d.ts': '',
      'netlify/functions-scheduled/e.mts': '',
    });
    const found = discoverFunctionFiles(dir, functionFolders(dir, readProjectToml(dir)));
    expect(found.files.map((f) => [f.name, f.folder])).toEqual([
      ['a', 'functions'],
      ['b', 'functions'],
      ['c', 'functions'],
      ['d', 'background'],
      ['e', 'scheduled'],
    ]);
  });

  it('[functions] directory wins over [build] functions; --functions over both; a duplicate name is a warning', () => {
    const dir = project({
      'netlify.toml': '[build]\n  functions = "fns-build"\n[functions]\n  directory = "fns"\n',
      'fns/x.ts': '',
      'fns-build/y.ts': '',
      'other/z.ts': '',
      'netlify/functions-background/x.ts': '',
    });
    const toml = readProjectToml(dir);
    const found = discoverFunctionFiles(dir, functionFolders(dir, toml));
    expect(found.files.map((f) => f.name)).toEqual(['x']);
    expect(found.warnings[0]).toContain('a function named "x" already comes from fns/x.ts');
    expect(discoverFunctionFiles(dir, functionFolders(dir, toml, 'other')).files.map((f) => f.name)).toEqual(['z', 'x']);
  });
});

describe('in-source config', () => {
  it('reads a TypeScript config literal: path string or array, method, excludedPath, schedule', () => {
    const dir = project({
      'a.mts': "import type { Config } from '@netlify/functions';\nexport default async () => new Response('x');\nexport const config: Config = {\n  path: '/api/a/:id', // a comment { with a brace\n  excludedPath: ['/api/a/private'],\n  method: 'get',\n};\n",
      'b.ts': "export const config = { schedule: '@hourly' };\nexport const handler = async () => ({ statusCode: 200 });\n",
      'c.ts': 'const p = "/x";\nexport const config = { path: p };\n',
    });
    expect(readInSourceConfig(join(dir, 'a.mts'))).toEqual({ config: { path: ['/api/a/:id'], excludedPath: ['/api/a/private'], method: ['GET'] } });
    expect(readInSourceConfig(join(dir, 'b.ts'))).toEqual({ config: { schedule: '@hourly' } });
    expect(readInSourceConfig(join(dir, 'c.ts')).warning).toContain('use literal values only');
  });
});

describe('v2 routes', () => {
  it('config.path binds :params and *, excludedPath is skipped, netlify.toml rules come after', () => {
    const fallback = createRouter([{ from: '/api/*', to: '/.netlify/functions/catch-all', status: 200, force: false }]);
    const router = createProjectRouter([{ functionName: 'files', paths: ['/files/:owner/*'], excludedPaths: ['/files/admin/*'] }], fallback);
    expect(router.match('/files/ada/a/b.txt')).toEqual({ kind: 'function', functionName: 'files', params: { owner: 'ada', splat: 'a/b.txt' }, ownPath: true });
    expect(router.match('/files/admin/x')).toBeNull();
    expect(router.match('/api/anything')).toEqual({ kind: 'function', functionName: 'catch-all', params: { splat: 'anything' } });
    expect(router.match('/.netlify/functions/files')).toEqual({ kind: 'function', functionName: 'files', params: {} });
  });

  it('config.method: a route does not match other methods, so the request goes on to the next route (as netlify-cli matches)', () => {
    const fallback = createRouter([{ from: '/api/*', to: '/.netlify/functions/catch-all', status: 200, force: false }]);
    const router = createProjectRouter(
      [
        { functionName: 'items-read', paths: ['/api/items/:id'], methods: ['GET'] },
        { functionName: 'items-write', paths: ['/api/items/:id'], methods: ['PUT', 'DELETE'] },
        { functionName: 'notes', paths: ['/notes'], methods: ['POST'] },
      ],
      fallback,
    );
    expect(router.match('/api/items/7', undefined, 'GET')).toEqual({ kind: 'function', functionName: 'items-read', params: { id: '7' }, ownPath: true });
    expect(router.match('/api/items/7', undefined, 'delete')).toEqual({ kind: 'function', functionName: 'items-write', params: { id: '7' }, ownPath: true });
    expect(router.match('/api/items/7', undefined, 'PATCH')).toMatchObject({ kind: 'function', functionName: 'catch-all' });
    expect(router.match('/notes', undefined, 'GET')).toBeNull();
  });
});

describe('functions list', () => {
  it("the fixture site: the project's functions with source, kind, routes and schedule over the built-ins, and the scheduled-folder warning", () => {
    const listing = listFunctions({ projectDir: FIXTURE_SITE, builtins: [{ name: 'api-activities', kind: 'sync' }, { name: 'cleanup', kind: 'scheduled', schedule: '@hourly' }], now: Date.parse('2026-01-01T12:30:00Z') });
    const byName = Object.fromEntries(listing.functions.map((f) => [f.name, f]));
    expect(byName['api-activities']).toMatchObject({ source: 'netlify/functions/api-activities.ts', kind: 'sync', routes: ['/api/activities', '/.netlify/functions/api-activities'] });
    expect(byName['hello']!.routes).toEqual(['/api/hello/:name', '/hello/:name']);
    expect(byName['sync-athlete-background']!.kind).toBe('background');
    expect(byName['nightly-digest']).toMatchObject({ kind: 'scheduled', schedule: '@daily', nextRun: '2026-01-02T00:00:00.000Z' });
    expect(byName['cleanup']).toMatchObject({ source: 'built-in', nextRun: '2026-01-01T13:00:00.000Z' });
    expect(listing.warnings.join('\n')).toContain('weekly-report.ts is in functions-scheduled/ but has no schedule');
  });
});
