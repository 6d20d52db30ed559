import { resolve } from 'node:path';
import { liveServeInfo } from '../db/serve-info.js';
import { VeloError } from '../errors.js';
import { ADMIN_TOKEN_HEADER } from './admin-guard.js';

export interface ServeControl {
  url: string;
  token: string;
}

/** The running serve of a data dir (its serve.json), or undefined when none runs. */
export function runningServe(dataDir: string): ServeControl | undefined {
  const info = liveServeInfo(resolve(dataDir));
  if (!info || typeof info.url !== 'string' || typeof info.adminToken !== 'string') return undefined;
  return { url: info.url, token: info.adminToken };
}

export function requireRunningServe(dataDir: string): ServeControl {
  const serve = runningServe(dataDir);
  if (!serve) {
    throw new VeloError('SERVE_NOT_RUNNING', `no veloready serve is running for ${resolve(dataDir)}`, 'start one with veloready serve (same --data-dir)');
  }
  return serve;
}

/** Calls serve's admin API; a JSON error answer becomes a VeloError with its code. */
export async function callAdmin<T>(serve: ServeControl, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${serve.url}${path}`, {
      method,
      headers: { [ADMIN_TOKEN_HEADER]: serve.token, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new VeloError('SERVE_UNREACHABLE', `could not reach serve at ${serve.url}: ${(err as Error).message}`, 'is it still running?');
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new VeloError('SERVE_BAD_ANSWER', `serve answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } }).error;
    throw new VeloError(e?.code ?? `HTTP_${res.status}`, e?.message ?? `serve answered ${res.status}`, undefined, res.status === 400 ? 2 : 1);
  }
  return json as T;
}
