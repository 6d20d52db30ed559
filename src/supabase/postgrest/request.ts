import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessClaims, Role } from '../../auth/jwt.js';
import { PgrstError } from './errors.js';
import type { ParsedQuery } from './parse.js';
import type { Preferences } from './prefer.js';

/** One REST request, parsed and authenticated, and what answering it produced. */

export const OBJECT_MEDIA_TYPE = 'application/vnd.pgrst.object+json';
export const JSON_TYPE = 'application/json; charset=utf-8';

export interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  tableName: string;
  query: ParsedQuery;
  prefer: Preferences;
  wantsObject: boolean;
  role: Role;
  claims: AccessClaims;
  /** The parsed JSON body of POST / PATCH, read before the transaction starts. */
  body?: unknown;
}

export interface Outcome {
  status: number;
  body?: string;
  headers: Record<string, string>;
}

export function contentRange(offset: number, n: number, total: number | undefined): string {
  const t = total === undefined ? '*' : String(total);
  return n === 0 ? `*/${t}` : `${offset}-${offset + n - 1}/${t}`;
}

export function singleObject(json: string, n: number): string {
  if (n !== 1) {
    throw new PgrstError(406, 'PGRST116', 'JSON object requested, multiple (or no) rows returned', `The result contains ${n} rows`);
  }
  return JSON.stringify((JSON.parse(json) as unknown[])[0]);
}

export function bodyHeaders(r: Request): Record<string, string> {
  return { 'Content-Type': r.wantsObject ? `${OBJECT_MEDIA_TYPE}; charset=utf-8` : JSON_TYPE };
}

