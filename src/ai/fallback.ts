import type { Ai, BriefInput, BriefOutput } from './port.js';

/**
 * Tries `primary` (OpenAI) and, when it fails, answers with `fallback` (offline) so the app
 * still gets a brief; `onFallback` hears why (log it, never with the key).
 */
export function withFallback(primary: Ai, fallback: Ai, onFallback?: (error: unknown) => void): Ai {
  return {
    promptVersion: primary.promptVersion,
    model: primary.model,
    async brief(input: BriefInput): Promise<BriefOutput> {
      try {
        return await primary.brief(input);
      } catch (error) {
        onFallback?.(error);
        return fallback.brief(input);
      }
    },
  };
}
