import type { IncomingMessage, ServerResponse } from 'node:http';
import { corsHeaders, headerValue, sendJson } from './http.js';

/** GoTrue's error responses, in the two shapes auth-js reads (see auth-js lib/fetch.ts handleError). */

export const API_VERSION_HEADER = 'X-Supabase-Api-Version';
export const API_VERSION_2024 = '2024-01-01';

export class GoTrueError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Clients that send `X-Supabase-Api-Version: 2024-01-01` (auth-js 2.x does) get `{code, msg}`
 * with the version echoed, older ones GoTrue's legacy `{code: status, error_code, msg}`.
 */
export function sendGoTrueError(req: IncomingMessage, res: ServerResponse, err: GoTrueError): void {
  const versioned = headerValue(req, API_VERSION_HEADER) === API_VERSION_2024;
  const body = versioned
    ? { code: err.errorCode, msg: err.message }
    : { code: err.status, error_code: err.errorCode, msg: err.message };
  sendJson(res, err.status, body, { ...corsHeaders(), ...err.headers, ...(versioned ? { [API_VERSION_HEADER]: API_VERSION_2024 } : {}) });
}

export const badRequest = (code: string, msg: string): GoTrueError => new GoTrueError(400, code, msg);
