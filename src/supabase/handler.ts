import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAuthHandler, type AuthHandlerOptions } from './gotrue.js';
import { createRestHandler } from './postgrest/handler.js';

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * Supabase's two APIs as `serve` mounts them: `/auth/v1/*` (GoTrue subset) and `/rest/v1/*`
 * (PostgREST subset). Resolves false for any other path so the caller routes it elsewhere.
 */
export function createSupabaseHandler(opts: AuthHandlerOptions): NodeHandler {
  const auth = createAuthHandler(opts);
  const revocation = opts.isSessionRevoked ? { isSessionRevoked: opts.isSessionRevoked } : {};
  let secret = opts.secret;
  let rest = createRestHandler({ sql: opts.sql, secret, clock: opts.clock, ...revocation });
  return async (req, res) => {
    // A new secret (a snapshot loaded into a running serve): the REST verifier follows it.
    if (opts.secret !== secret) rest = createRestHandler({ sql: opts.sql, secret: (secret = opts.secret), clock: opts.clock, ...revocation });
    return (await auth(req, res)) || (await rest(req, res));
  };
}
