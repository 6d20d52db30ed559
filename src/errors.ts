/** Exit codes of every command: ok, failure, bad usage. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * The one error type users see. `code` is stable (scripts match on it), `message` says what was
 * wrong, `hint` says what to do. A VeloError is an expected outcome, never printed with a stack
 * unless --verbose.
 */
export class VeloError extends Error {
  override readonly name = 'VeloError';
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly exitCode: 1 | 2 = EXIT_FAILURE,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): { code: string; message: string; hint?: string } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

/** A failure of a service we call (Strava, OpenAI), carrying the HTTP status to answer with. */
export class UpstreamError extends VeloError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
    hint?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, hint, EXIT_FAILURE, options);
  }
}

/** A usage mistake (bad flag value, missing argument): exit 2. */
export function usageError(code: string, message: string, hint?: string): VeloError {
  return new VeloError(code, message, hint, EXIT_USAGE);
}

export function isVeloError(err: unknown): err is VeloError {
  return err instanceof VeloError;
}
