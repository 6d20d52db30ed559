import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFunctionEnv, type FunctionEnvInput } from '../../src/runtime/environment.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'veloready-env-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const input = (projectDir: string, extra: Partial<FunctionEnvInput> = {}): FunctionEnvInput => ({
  projectDir,
  serveUrl: 'http://127.0.0.1:8888',
  anonKey: 'local-anon-key',
  serviceRoleKey: 'local-service-role-key',
  jwtSecret: 'local-jwt-secret-0123456789abcdef',
  databaseUrl: 'postgres://postgres@127.0.0.1:54322/postgres',
  blobsContext: 'bG9jYWwtYmxvYnM=',
  ...extra,
});

const PRODUCTION_ENV = [
  'SUPABASE_URL=https://abcdefgh.supabase.co',
  'SUPABASE_SERVICE_ROLE_KEY=eyJhbGciOiJIUzI1NiJ9.production-service-role.signature',
  'DATABASE_URL=postgres://postgres:hunter2-production@db.abcdefgh.supabase.co:5432/postgres',
  'NETLIFY_BLOBS_CONTEXT=cHJvZHVjdGlvbi1ibG9icy1jb250ZXh0',
  'STRAVA_CLIENT_ID=98765',
  'OPENAI_API_KEY=sk-project-key-0123456789',
].join('\n');

describe('buildFunctionEnv', () => {
  it("gives an empty project serve's local values, and none of veloready's own process env", () => {
    process.env.VELOREADY_TEST_LEAK = 'from-veloready-process';
    try {
      const { env, replaced } = buildFunctionEnv(input(project({})));
      expect(env).toEqual({
        SUPABASE_URL: 'http://127.0.0.1:8888',
        SUPABASE_ANON_KEY: 'local-anon-key',
        SUPABASE_SERVICE_ROLE_KEY: 'local-service-role-key',
        SUPABASE_JWT_SECRET: 'local-jwt-secret-0123456789abcdef',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:54322/postgres',
        URL: 'http://127.0.0.1:8888',
        DEPLOY_URL: 'http://127.0.0.1:8888',
        CONTEXT: 'dev',
        NETLIFY_DEV: 'true',
        NETLIFY_BLOBS_CONTEXT: 'bG9jYWwtYmxvYnM=',
      });
      expect(replaced).toEqual([]);
    } finally {
      delete process.env.VELOREADY_TEST_LEAK;
    }
  });

  it("keeps the project's other variables from .env and netlify.toml, .env over [context.dev.environment] over [build.environment]", () => {
    const dir = project({
      'netlify.toml': [
        '[build.environment]',
        'FROM_BUILD = "build"',
        'OVERRIDDEN = "build"',
        'RETRIES = 3',
        '[context.dev.environment]',
        'OVERRIDDEN = "dev"',
        'BOTH = "dev"',
        '[context.production.environment]',
        'FROM_PRODUCTION = "never in dev"',
      ].join('\n'),
      '.env': 'BOTH=dotenv\nSTRAVA_CLIENT_ID=98765\n',
    });
    const { env } = buildFunctionEnv(input(dir));
    expect(env).toMatchObject({ FROM_BUILD: 'build', OVERRIDDEN: 'dev', BOTH: 'dotenv', RETRIES: '3', STRAVA_CLIENT_ID: '98765' });
    expect(env).not.toHaveProperty('FROM_PRODUCTION');
  });

  it("replaces production's Supabase URL, database, blobs context and keys with serve's, listing each redacted", () => {
    const { env, replaced } = buildFunctionEnv(input(project({ '.env': PRODUCTION_ENV })));
    expect(env.SUPABASE_URL).toBe('http://127.0.0.1:8888');
    expect(env.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:54322/postgres');
    expect(env.NETLIFY_BLOBS_CONTEXT).toBe('bG9jYWwtYmxvYnM=');
    expect(env.SUPABASE_SERVICE_ROLE_KEY).toBe('local-service-role-key');
    expect(env.OPENAI_API_KEY).toBe('sk-project-key-0123456789');
    expect(replaced.map((r) => r.name).sort()).toEqual(['DATABASE_URL', 'NETLIFY_BLOBS_CONTEXT', 'SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_URL']);
    const shown = JSON.stringify(replaced);
    expect(shown).toContain('https://abcdefgh.supabase.co');
    expect(shown).toContain('db.abcdefgh.supabase.co');
    for (const secret of ['hunter2-production', 'production-service-role', 'cHJvZHVjdGlvbi1ibG9icy1jb250ZXh0']) expect(shown).not.toContain(secret);
  });

  it('a value set in netlify.toml is replaced the same way as one from .env', () => {
    const dir = project({ 'netlify.toml': '[context.dev.environment]\nSUPABASE_URL = "https://abcdefgh.supabase.co"\n' });
    const { env, replaced } = buildFunctionEnv(input(dir));
    expect(env.SUPABASE_URL).toBe('http://127.0.0.1:8888');
    expect(replaced).toEqual([{ name: 'SUPABASE_URL', projectValue: 'https://abcdefgh.supabase.co' }]);
  });

  it("--use-env NAME keeps the project's value for that name only", () => {
    const { env, replaced } = buildFunctionEnv(input(project({ '.env': PRODUCTION_ENV }), { useEnv: ['DATABASE_URL'] }));
    expect(env.DATABASE_URL).toBe('postgres://postgres:hunter2-production@db.abcdefgh.supabase.co:5432/postgres');
    expect(env.SUPABASE_URL).toBe('http://127.0.0.1:8888');
    expect(replaced.map((r) => r.name)).not.toContain('DATABASE_URL');
  });

  it("without a local database the project's DATABASE_URL is dropped, not passed through", () => {
    const { env, replaced } = buildFunctionEnv(input(project({ '.env': PRODUCTION_ENV }), { databaseUrl: undefined }));
    expect(env).not.toHaveProperty('DATABASE_URL');
    expect(replaced.map((r) => r.name)).toContain('DATABASE_URL');
  });

  it('a project value equal to the local one is not reported', () => {
    const { replaced } = buildFunctionEnv(input(project({ '.env': 'SUPABASE_URL=http://127.0.0.1:8888\n' })));
    expect(replaced).toEqual([]);
  });

  it('a malformed netlify.toml environment is an error naming the file and the table', () => {
    const dir = project({ 'netlify.toml': '[build]\nenvironment = "oops"\n' });
    expect(() => buildFunctionEnv(input(dir))).toThrow(/netlify\.toml \[build\.environment\] must be a table/);
    const bad = project({ 'netlify.toml': '[build.environment]\nLIST = ["a"]\n' });
    expect(() => buildFunctionEnv(input(bad))).toThrow(/"LIST" must be a string, number or boolean/);
  });
});
