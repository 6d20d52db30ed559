import { UpstreamError } from '../errors.js';

/** An AI provider failure: a VeloError with the HTTP status `ai-brief` should answer (the error boundary reads it). */
export class AiError extends UpstreamError {}
