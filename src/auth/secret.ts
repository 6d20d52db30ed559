import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { VeloError } from '../errors.js';

export const SECRETS_FILE = 'secrets.json';
export const MIN_SECRET_LENGTH = 32;
const GENERATED_SECRET_BYTES = 48;

export interface JwtSecret {
  value: string;
  source: 'flag' | 'env' | '.env' | 'data-dir';
}

export function assertSecretStrength(secret: string, from: string): void {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new VeloError(
      'JWT_SECRET_TOO_SHORT',
      `the JWT secret from ${from} is ${secret.length} characters; at least ${MIN_SECRET_LENGTH} are required`,
      'use the project\'s JWT secret (Supabase dashboard → Settings → API), or unset it to use the local one',
    );
  }
}

/**
 * The local JWT secret in `<dataDir>/secrets.json` (mode 0600), created on first use. Written via
 * a temp file + rename so two processes starting at once never see a half-written file.
 */
export async function loadOrCreateLocalSecret(dataDir: string): Promise<string> {
  const file = join(dataDir, SECRETS_FILE);
  const existing = await readLocalSecrets(file);
  if (existing?.jwtSecret) return existing.jwtSecret;
  await mkdir(dataDir, { recursive: true });
  const jwtSecret = randomBytes(GENERATED_SECRET_BYTES).toString('base64url');
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ ...existing, jwtSecret }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  await rename(tmp, file);
  return (await readLocalSecrets(file))?.jwtSecret ?? jwtSecret;
}

async function readLocalSecrets(file: string): Promise<Record<string, string> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as Record<string, string>;
  } catch {
    throw new VeloError('SECRETS_FILE_CORRUPT', `${file} is not valid JSON`, 'delete it to create a new local secret (tokens minted before stop working)');
  }
}
