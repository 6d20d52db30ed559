/** PostgREST's error shape `{code, details, hint, message}` and how database errors map to HTTP. */

export class PgrstError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string | null = null,
    readonly hint: string | null = null,
  ) {
    super(message);
  }

  toBody(): { code: string; details: string | null; hint: string | null; message: string } {
    return { code: this.code, details: this.details, hint: this.hint, message: this.message };
  }
}

/** PGRST100: the query string could not be parsed or uses syntax this subset does not support. */
export const parseError = (message: string, details: string | null = null): PgrstError =>
  new PgrstError(400, 'PGRST100', message, details, null);

/** Status PostgREST gives a SQLSTATE (PostgREST's Error.hs, `pgErrorStatus`). */
export function statusForSqlState(code: string, authenticated: boolean): number {
  if (code === '23505' || code === '23503') return 409;
  if (code === '42501') return authenticated ? 403 : 401;
  if (code === '42P01' || code === '42883') return 404;
  if (code === '25006') return 405;
  if (code === '53400') return 500;
  const cls = code.slice(0, 2);
  if (['08', '53', '54', '55', '57', '58', 'XX'].includes(cls)) return 503;
  if (['09', '0L', '0P', '21', '22', '23', '2F', '39', '3B', '40', '42', 'P0', 'HV', '28', '2D', '44'].includes(cls)) {
    return cls === '28' ? 403 : cls === '40' ? 500 : cls === '2D' ? 500 : 400;
  }
  return 500;
}

interface DbErrorLike {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  hint?: unknown;
}

/** A database error as PostgREST returns it; undefined when `err` is not one. */
export function fromDatabaseError(err: unknown, authenticated: boolean): PgrstError | undefined {
  const e = err as DbErrorLike | null;
  if (!e || typeof e !== 'object' || typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code)) return undefined;
  const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  return new PgrstError(
    statusForSqlState(e.code, authenticated),
    e.code,
    str(e.message) ?? 'database error',
    str(e.detail),
    str(e.hint),
  );
}
