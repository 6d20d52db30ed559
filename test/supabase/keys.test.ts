import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { ManualClock } from '../../src/clock.js';
import { decodeJwt, verifyAccessToken } from '../../src/auth/jwt.js';
import { localKeys, LOCAL_KEY_ISSUER } from '../../src/supabase/keys.js';
import { BIN, runCli, scratchDir } from '../helpers/cli.js';

const SECRET = 'keys-test-secret-keys-test-secret-0123456789';
const BUILT = existsSync(BIN.replace(/bin\/veloready\.js$/, 'dist/commands/keys.js'));

describe('local Supabase keys', () => {
  it('are JWTs like Supabase local keys: role anon / service_role, issuer supabase-demo, long-lived', () => {
    const { anonKey, serviceRoleKey } = localKeys(SECRET);
    const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
    expect(verifyAccessToken(anonKey, { secret: SECRET, clock })).toMatchObject({ role: 'anon', iss: LOCAL_KEY_ISSUER });
    expect(verifyAccessToken(serviceRoleKey, { secret: SECRET, clock })).toMatchObject({ role: 'service_role' });
    expect(decodeJwt(anonKey).claims).not.toHaveProperty('sub');
  });

  it('are stable for one secret and differ between secrets', () => {
    expect(localKeys(SECRET)).toEqual(localKeys(SECRET));
    expect(localKeys(SECRET).anonKey).not.toBe(localKeys(`${SECRET}x`).anonKey);
  });

  it.skipIf(!BUILT)('`veloready keys --json` prints the URL and keys signed with the configured secret', async () => {
    const res = await runCli(['keys', '--json'], { cwd: scratchDir(), env: { SUPABASE_JWT_SECRET: SECRET } });
    expect(res.exitCode).toBe(0);
    const out = JSON.parse(String(res.stdout)) as Record<string, string>;
    expect(out).toEqual({ url: 'http://127.0.0.1:8888', ...localKeys(SECRET), secretSource: 'env' });
    expect(String(res.stdout)).not.toContain(SECRET);
  });
});
