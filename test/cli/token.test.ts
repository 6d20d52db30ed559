import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { userIdForAthlete } from '../../src/auth/user-id.js';
import { runCli, scratchDir } from '../helpers/cli.js';

const SECRET = 'a-project-jwt-secret-of-sufficient-length';

describe('veloready token', () => {
  it('mint prints a token that verify accepts, with the athlete\'s stable sub', async () => {
    const cwd = scratchDir();
    const mint = await runCli(['token', 'mint', '--athlete', '104662'], { cwd });
    expect(mint.exitCode).toBe(0);
    const token = mint.stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    const verify = await runCli(['--json', 'token', 'verify', token], { cwd });
    expect(verify.exitCode).toBe(0);
    const body = JSON.parse(verify.stdout);
    expect(body.valid).toBe(true);
    expect(body.claims.sub).toBe(userIdForAthlete(104662));
    expect(body.expiresInSeconds).toBeGreaterThan(3500);
  });

  it('creates the local secret once, mode 0600, at least 32 random bytes', async () => {
    const cwd = scratchDir();
    await runCli(['token', 'mint', '--athlete', '1'], { cwd });
    const file = join(cwd, '.veloready', 'secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const first = JSON.parse(readFileSync(file, 'utf8')).jwtSecret as string;
    expect(Buffer.from(first, 'base64url').length).toBeGreaterThanOrEqual(32);
    await runCli(['token', 'mint', '--athlete', '2'], { cwd });
    expect(JSON.parse(readFileSync(file, 'utf8')).jwtSecret).toBe(first);
  });

  it('--json gives the token, its claims and expiry; --ttl and --claims apply', async () => {
    const r = await runCli(['--json', 'token', 'mint', '--athlete', '5', '--ttl', '30m', '--claims', '{"plan":"pro"}'], { cwd: scratchDir() });
    expect(r.exitCode).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.claims.exp - body.claims.iat).toBe(1800);
    expect(body.claims.plan).toBe('pro');
    expect(body.claims.email).toBe('strava-5@veloready.app');
    expect(new Date(body.expiresAt).getTime()).toBe(body.claims.exp * 1000);
  });

  it('uses SUPABASE_JWT_SECRET when set: a token minted with it fails under the local secret', async () => {
    const cwd = scratchDir();
    const token = (await runCli(['token', 'mint', '--athlete', '9'], { cwd, env: { SUPABASE_JWT_SECRET: SECRET } })).stdout.trim();
    expect((await runCli(['token', 'verify', token], { cwd, env: { SUPABASE_JWT_SECRET: SECRET } })).exitCode).toBe(0);
    const local = await runCli(['token', 'verify', token], { cwd });
    expect(local.exitCode).toBe(1);
    expect(local.stderr).toContain('signature does not match');
  });

  it('refuses a short --secret with a specific error', async () => {
    const r = await runCli(['token', 'mint', '--athlete', '1', '--secret', 'short'], { cwd: scratchDir() });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('at least 32');
  });

  it('verify reads the token from stdin with -', async () => {
    const cwd = scratchDir();
    const token = (await runCli(['token', 'mint', '--athlete', '3'], { cwd })).stdout;
    const r = await runCli(['token', 'verify', '-'], { cwd, input: token });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('valid');
  });

  it('verify of an expired token exits 1 with the reason', async () => {
    const cwd = scratchDir();
    const token = (await runCli(['token', 'mint', '--athlete', '3', '--claims', '{"exp":1000}'], { cwd })).stdout.trim();
    const r = await runCli(['--json', 'token', 'verify', token], { cwd });
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('JWT_EXPIRED');
  });

  it('decode prints header and claims and says it did not verify', async () => {
    const cwd = scratchDir();
    const token = (await runCli(['token', 'mint', '--athlete', '3'], { cwd })).stdout.trim();
    const r = await runCli(['token', 'decode', token], { cwd: scratchDir() });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('not verified');
    expect(r.stdout).toContain('"alg": "HS256"');
    const json = JSON.parse((await runCli(['--json', 'token', 'decode', token], { cwd })).stdout);
    expect(json).toMatchObject({ verified: false, header: { alg: 'HS256' }, claims: { role: 'authenticated' } });
  });

  it('an authenticated token without --athlete is bad usage', async () => {
    const r = await runCli(['token', 'mint'], { cwd: scratchDir() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('needs --athlete');
  });
});
