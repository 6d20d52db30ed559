import { request, type Dispatcher } from 'undici';
import { systemClock, type Clock } from '../clock.js';
import { AiError } from './errors.js';
import type { Ai, BriefInput, BriefOutput } from './port.js';
import { buildBriefPrompt, OPENAI_PROMPT_VERSION, SYSTEM_PROMPT } from './prompt.js';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const OPENAI_DEFAULT_MODEL = 'gpt-4o-mini';
export const OPENAI_TIMEOUT_MS = 20_000;
/** One retry after a 429 or 5xx, waiting this long (or Retry-After, capped). */
export const OPENAI_RETRY_DELAY_MS = 1_000;
const MAX_RETRY_AFTER_MS = 10_000;
const MAX_TOKENS = 300;
const TEMPERATURE = 0.4;
const MAX_ERROR_TEXT = 200;

export interface OpenAiBriefOptions {
  apiKey: string;
  baseUrl?: string;
  model?: string;
  clock?: Clock;
  timeoutMs?: number;
  /** Retries after 429/5xx (default 1). */
  retries?: number;
  dispatcher?: Dispatcher;
}

interface ChatCompletion {
  model?: unknown;
  choices?: Array<{ message?: { content?: unknown } }>;
}

/** An Ai backed by any OpenAI-compatible `POST /chat/completions`. Errors are AiError (VeloError) with stable codes. */
export function createOpenAiBriefClient(options: OpenAiBriefOptions): Ai {
  if (!options.apiKey) throw new AiError('OPENAI_KEY_MISSING', 'no OpenAI API key given', 500, 'set OPENAI_API_KEY');
  const base = (options.baseUrl ?? OPENAI_BASE_URL).replace(/\/+$/, '');
  const url = `${base}/chat/completions`;
  const model = options.model ?? OPENAI_DEFAULT_MODEL;
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? OPENAI_TIMEOUT_MS;
  const retries = options.retries ?? 1;

  async function once(body: string): Promise<{ ok: true; out: BriefOutput } | { ok: false; error: AiError; retryAfterMs?: number }> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
        ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      });
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        return { ok: false, error: new AiError('OPENAI_TIMEOUT', `OpenAI did not answer within ${timeoutMs} ms`, 504, 'try again later') };
      }
      return {
        ok: false,
        error: new AiError('OPENAI_UNREACHABLE', `cannot reach ${base}: ${(err as Error).message}`, 502, 'check the network or OPENAI_BASE_URL', { cause: err }),
      };
    }
    const status = res.statusCode;
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
      return {
        ok: false,
        error: timedOut
          ? new AiError('OPENAI_TIMEOUT', `OpenAI did not answer within ${timeoutMs} ms`, 504, 'try again later')
          : new AiError('OPENAI_BAD_RESPONSE', `reading the OpenAI answer failed: ${(err as Error).message}`, 502),
      };
    }
    if (status >= 200 && status < 300) return parse(text);
    const detail = providerMessage(text);
    if (status === 401 || status === 403) {
      return { ok: false, error: new AiError('OPENAI_AUTH', `OpenAI refused the API key (${status})${detail}`, 502, 'check OPENAI_API_KEY') };
    }
    if (status === 429) {
      return { ok: false, error: new AiError('OPENAI_RATE_LIMITED', `OpenAI rate limit reached${detail}`, 503, 'try again in a minute'), retryAfterMs: retryAfter(res.headers['retry-after']) };
    }
    if (status >= 500) {
      return { ok: false, error: new AiError('OPENAI_UNAVAILABLE', `OpenAI answered ${status}${detail}`, 502, 'try again later'), retryAfterMs: retryAfter(res.headers['retry-after']) };
    }
    return { ok: false, error: new AiError('OPENAI_BAD_REQUEST', `OpenAI refused the request (${status})${detail}`, 502, `check the model name "${model}"`) };
  }

  function parse(text: string): { ok: true; out: BriefOutput } | { ok: false; error: AiError } {
    let json: ChatCompletion;
    try {
      json = JSON.parse(text) as ChatCompletion;
    } catch {
      return { ok: false, error: new AiError('OPENAI_BAD_RESPONSE', 'OpenAI answered with something that is not JSON', 502) };
    }
    const content = json.choices?.[0]?.message?.content;
    if (typeof content !== 'string' || !content.trim()) {
      return { ok: false, error: new AiError('OPENAI_BAD_RESPONSE', 'OpenAI answered without a message', 502) };
    }
    return { ok: true, out: { text: content.trim(), model: typeof json.model === 'string' ? json.model : model, promptVersion: OPENAI_PROMPT_VERSION } };
  }

  return {
    promptVersion: OPENAI_PROMPT_VERSION,
    model,
    async brief(input: BriefInput): Promise<BriefOutput> {
      const body = JSON.stringify({
        model,
        temperature: TEMPERATURE,
        max_tokens: MAX_TOKENS,
        messages: [
          { role: 'system', content: SYSTEM_PROMPT },
          { role: 'user', content: buildBriefPrompt(input) },
        ],
      });
      for (let attempt = 0; ; attempt++) {
        const result = await once(body);
        if (result.ok) return result.out;
        const retryable = result.error.code === 'OPENAI_RATE_LIMITED' || result.error.code === 'OPENAI_UNAVAILABLE';
        if (!retryable || attempt >= retries) throw result.error;
        await clock.sleep(result.retryAfterMs ?? OPENAI_RETRY_DELAY_MS);
      }
    },
  };
}

/** `: <the provider's error message>` (short, never echoing our key), or ''. */
function providerMessage(text: string): string {
  let message: unknown;
  try {
    message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
  } catch {
    return '';
  }
  if (typeof message !== 'string' || !message) return '';
  const clean = message.replace(/sk-[\w*-]+/g, 'sk-…').slice(0, MAX_ERROR_TEXT);
  return `: ${clean}`;
}

function retryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : undefined;
}
