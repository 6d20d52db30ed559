import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock.js';
import type { Sql } from '../db/sql.js';
import type { CredentialLimiter } from '../ratelimit/credentials.js';
import { corsHeaders, readJson, sendJson } from './http.js';
import { badRequest } from './gotrue-errors.js';

/** What every GoTrue route handler gets: the handler's options plus the request. */

export interface AuthHandlerOptions {
  sql: Sql;
  secret: string;
  clock: Clock;
  /** `iss` of minted access tokens. */
  issuer?: string;
  accessTtlS?: number;
  refreshTtlS?: number;
  /** Whether a token's session was revoked (the functions' check): `/rest/v1` then refuses the token. */
  isSessionRevoked?: (sessionId: string) => boolean | Promise<boolean>;
  /** Sign-in budgets per email and per refresh token (serve's login budget). */
  credentials?: CredentialLimiter;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface Ctx extends AuthHandlerOptions {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
}

export function reply(ctx: Ctx, status: number, body: unknown): void {
  sendJson(ctx.res, status, body, corsHeaders());
}


export async function bodyObject(ctx: Ctx): Promise<Record<string, unknown>> {
  const body = await readJson(ctx.req);
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('validation_failed', 'request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}
