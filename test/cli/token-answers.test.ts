import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { mintAccessToken } from '../../src/auth/jwt.js';
import { runCli, scratchDir } from '../helpers/cli.js';

const SECRET = 'a-project-jwt-secret-of-sufficient-length';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('token verify says exactly what holds', () => {
  it('a token expired within the clock-skew leeway: "expired N s ago; accepted within the 30 s leeway"', async () => {
    const clock = { now: () => Date.now() - 3_610_000, sleep: async () => {} };
    const token = mintAccessToken({ secret: SECRET, clock, athleteId: 1, ttlSeconds: 3600 }).token;
    const r = await runCli(['token', 'verify', token, '--secret', SECRET], { cwd: scratchDir() });
    expect(r.exitCode, r.stderr).toBe(0);
    const [, ago] = /^valid — expired (\d+) s ago; accepted within the 30 s clock-skew leeway$/m.exec(r.stdout) ?? [];
    expect(Number(ago)).toBeGreaterThanOrEqual(10);
    expect(Number(ago)).toBeLessThan(30);
    expect(r.stdout).not.toContain('expires in expired');

    const json = JSON.parse((await runCli(['--json', 'token', 'verify', token, '--secret', SECRET], { cwd: scratchDir() })).stdout);
    expect(json).toMatchObject({ valid: true, withinLeeway: true, leewaySeconds: 30 });
    expect(json.expiresInSeconds).toBeLessThan(0);
  });

  it('a fresh token: "expires in …", no leeway mentioned', async () => {
    const token = mintAccessToken({ secret: SECRET, clock: { now: () => Date.now(), sleep: async () => {} }, athleteId: 1, ttlSeconds: 600 }).token;
    const r = await runCli(['token', 'verify', token, '--secret', SECRET], { cwd: scratchDir() });
    expect(r.stdout).toMatch(/^valid — expires in (9m 5\ds|10m)$/m);
    expect(r.stdout).not.toContain('leeway');
  });

  it('--remote against an unreachable SUPABASE_URL is one error line, no stack trace', async () => {
    const cwd = scratchDir();
    const token = (await runCli(['token', 'mint', '--athlete', '1'], { cwd })).stdout.trim();
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCli(['token', 'verify', '--remote', token], { cwd, env: { SUPABASE_URL: url, SUPABASE_ANON_KEY: 'anon' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`error: could not reach Supabase at ${url}: ECONNREFUSED`, 'hint: check SUPABASE_URL and your network']);
  });
});
