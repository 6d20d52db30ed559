import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, hasBody, readBody, writeResponse } from '../emulator/node-adapter.js';
import { httpStatusOf, jsonError, JSON_HEADERS } from '../emulator/http-error.js';
import type { Mount } from '../emulator/server.js';
import type { NetlifyResponse } from '../emulator/types.js';
import { isVeloError } from '../errors.js';
import type { AdminGuard } from './admin-guard.js';

/** Admin bodies are small JSON commands. */
const ADMIN_BODY_LIMIT_BYTES = 16 * 1024;

export type AdminHandler = (req: { method: string; body: Record<string, unknown> }) => Promise<unknown>;

/**
 * One admin endpoint at exactly `path` behind the guard: JSON in, JSON out. A VeloError becomes
 * `{error:{code,message}}` with its HTTP status (400 for usage mistakes, else 409/500 by kind).
 */
export function adminMount(path: string, guard: AdminGuard, handle: AdminHandler): Mount {
  return {
    prefix: path,
    handler: async (req: IncomingMessage, res: ServerResponse) => {
      const [pathname] = (req.url ?? '').split('?');
      if (pathname !== path && pathname !== `${path}/`) return false;
      writeResponse(res, guard.check(req) ?? (await answer(req, handle)));
      return true;
    },
  };
}

async function answer(req: IncomingMessage, handle: AdminHandler): Promise<NetlifyResponse> {
  const method = req.method ?? 'GET';
  let body: Record<string, unknown> = {};
  try {
    if (hasBody(req)) {
      const raw = (await readBody(req, ADMIN_BODY_LIMIT_BYTES)).toString('utf8').trim();
      const parsed: unknown = raw ? JSON.parse(raw) : {};
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return jsonError(400, 'INVALID_BODY', 'the body must be a JSON object');
      body = parsed as Record<string, unknown>;
    }
  } catch (err) {
    if (err instanceof BodyTooLargeError) return jsonError(413, 'PAYLOAD_TOO_LARGE', `admin bodies are at most ${ADMIN_BODY_LIMIT_BYTES} bytes`);
    return jsonError(400, 'INVALID_JSON', 'the body is not valid JSON');
  }
  try {
    const result = await handle({ method, body });
    return { statusCode: 200, headers: { ...JSON_HEADERS, 'cache-control': 'no-store' }, body: JSON.stringify(result) };
  } catch (err) {
    if (!isVeloError(err)) throw err;
    const status = httpStatusOf(err) ?? (err.exitCode === 2 ? 400 : 409);
    return jsonError(status, err.code, err.hint ? `${err.message} (${err.hint})` : err.message);
  }
}
