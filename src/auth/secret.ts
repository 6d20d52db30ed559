import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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

/** The local JWT secret in `<dataDir>/secrets.json`, created on first use (see loadOrCreateDataDirSecret). */
export const loadOrCreateLocalSecret = (dataDir: string): Promise<string> => loadOrCreateDataDirSecret(dataDir, 'jwtSecret');

/**
 * The token the local Netlify Blobs API (serve, `blobs serve`) requires, random per data dir like
 * the JWT secret: the blob cache holds athletes' data, so a public default token would open it to
 * anything that can reach the port.
 */
export const loadOrCreateBlobsToken = (dataDir: string): Promise<string> => loadOrCreateDataDirSecret(dataDir, 'blobsToken');

/**
 * A random secret under `key` in `<dataDir>/secrets.json` (mode 0600), created on first use.
 * Written to a temp file first so nobody sees a half-written file; a new file is put in place with
 * link(), which fails if another process (or call) got there first, so all of them end up with one.
 */
async function loadOrCreateDataDirSecret(dataDir: string, key: 'jwtSecret' | 'blobsToken'): Promise<string> {
  const file = join(dataDir, SECRETS_FILE);
  const existing = await readLocalSecrets(file);
  const known = existing?.[key];
  if (known) return known;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const value = randomBytes(GENERATED_SECRET_BYTES).toString('base64url');
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify({ ...existing, [key]: value }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  try {
    if (existing) {
      await rename(tmp, file); // the file exists without this key: add it, keep its other keys
    } else {
      await link(tmp, file).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err; // someone else created it first: theirs wins
      });
    }
  } finally {
    await rm(tmp, { force: true });
  }
  return (await readLocalSecrets(file))?.[key] ?? value;
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
