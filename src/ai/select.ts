import type { Clock } from '../clock.js';
import { createOfflineAi } from './offline.js';
import { createOpenAiBriefClient } from './openai.js';
import { withFallback } from './fallback.js';
import type { Ai } from './port.js';

export interface AiSelection {
  /** OPENAI_API_KEY; without it the offline generator answers. */
  openAiApiKey?: string;
  openAiBaseUrl?: string;
  openAiModel?: string;
  clock?: Clock;
  /** When OpenAI fails, answer offline instead of an error (default true). */
  fallbackOffline?: boolean;
  onFallback?: (error: unknown) => void;
}

/** The Ai `serve` and ops commands wire: OpenAI when a key is set, else offline. */
export function selectAi(sel: AiSelection = {}): Ai {
  const offline = createOfflineAi();
  if (!sel.openAiApiKey) return offline;
  const openai = createOpenAiBriefClient({
    apiKey: sel.openAiApiKey,
    ...(sel.openAiBaseUrl ? { baseUrl: sel.openAiBaseUrl } : {}),
    ...(sel.openAiModel ? { model: sel.openAiModel } : {}),
    ...(sel.clock ? { clock: sel.clock } : {}),
  });
  return sel.fallbackOffline === false ? openai : withFallback(openai, offline, sel.onFallback);
}
