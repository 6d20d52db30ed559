import { VeloError } from '../errors.js';

/** An AI provider failure: a VeloError with the HTTP status `ai-brief` should answer (the error boundary reads it). */
export class AiError extends VeloError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
    hint?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, hint, 1, options);
  }
}
