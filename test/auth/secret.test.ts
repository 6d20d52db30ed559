import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRETS_FILE, loadOrCreateLocalSecret } from '../../src/auth/secret.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'vr-secret-'));

describe('the local JWT secret', () => {
  it('concurrent first uses agree on one secret and leave no temp files behind', async () => {
    const dir = join(scratch(), 'data');
    const secrets = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateLocalSecret(dir)));
    expect(new Set(secrets).size).toBe(1);
    expect(secrets[0]!.length).toBeGreaterThanOrEqual(32);
    expect(readdirSync(dir)).toEqual([SECRETS_FILE]);
    expect(statSync(join(dir, SECRETS_FILE)).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateLocalSecret(dir)).toBe(secrets[0]);
  });

  it('adds a secret to an existing secrets file without losing its other keys', async () => {
    const dir = scratch();
    writeFileSync(join(dir, SECRETS_FILE), JSON.stringify({ other: 'kept' }));
    const secret = await loadOrCreateLocalSecret(dir);
    expect(JSON.parse(readFileSync(join(dir, SECRETS_FILE), 'utf8'))).toEqual({ other: 'kept', jwtSecret: secret });
  });
});
