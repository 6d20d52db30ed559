import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { nowSeconds, systemClock, type Clock } from '../clock.js';
import { generateOfflineBrief, OFFLINE_MODEL } from './offline.js';
import { readBriefPrompt } from './prompt-read.js';

/**
 * An offline OpenAI-compatible API, mounted by serve under /openai/v1/ so a project function's
 * calls to api.openai.com (rewritten there by the function runtime) get an answer: chat
 * completions written by the offline brief generator from the numbers in the prompt (the same
 * request, the same answer), the model list, and OpenAI's error shapes and statuses.
 */
export const OPENAI_ENDPOINT_PREFIX = '/openai';
const V1 = `${OPENAI_ENDPOINT_PREFIX}/v1`;
export const MAX_REQUEST_BYTES = 1024 * 1024;
/** Models listed (any other requested model is answered too, and echoed back). */
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', OFFLINE_MODEL];
/** OpenAI's own rough rule for English: a token is about four characters. */
const CHARS_PER_TOKEN = 4;

export interface OpenAiEndpointOptions {
  clock?: Clock;
}

interface ChatMessage {
  role: string;
  content: unknown;
}

type Reply = { status: number; body: unknown };

const apiError = (status: number, message: string, type = 'invalid_request_error', param: string | null = null, code: string | null = null): Reply => ({
  status,
  body: { error: { message, type, param, code } },
});

export function createOpenAiEndpoint(options: OpenAiEndpointOptions = {}): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const clock = options.clock ?? systemClock;

  async function route(req: IncomingMessage, path: string): Promise<Reply> {
    const method = req.method ?? 'GET';
    if (!/^Bearer \S+/i.test(req.headers.authorization ?? '')) {
      return apiError(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). veloready's offline endpoint accepts any key.");
    }
    if (path === `${V1}/chat/completions`) {
      if (method !== 'POST') return apiError(405, `Invalid method for URL (${method} /v1/chat/completions)`);
      return chatCompletion(await readJson(req));
    }
    if (path === `${V1}/models`) {
      if (method !== 'GET') return apiError(405, `Invalid method for URL (${method} /v1/models)`);
      return { status: 200, body: { object: 'list', data: MODELS.map(modelObject) } };
    }
    const model = path.startsWith(`${V1}/models/`) ? decodeURIComponent(path.slice(`${V1}/models/`.length)) : undefined;
    if (model && method === 'GET') {
      return MODELS.includes(model)
        ? { status: 200, body: modelObject(model) }
        : apiError(404, `The model '${model}' does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found');
    }
    return apiError(404, `Invalid URL (${method} ${path.slice(OPENAI_ENDPOINT_PREFIX.length)})`);
  }

  function chatCompletion(body: unknown): Reply {
    if (body === INVALID_JSON) {
      return apiError(400, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)");
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) return apiError(400, 'The request body must be a JSON object.');
    const { model, messages, stream } = body as { model?: unknown; messages?: unknown; stream?: unknown };
    if (typeof model !== 'string' || !model) return apiError(400, "you must provide a model parameter", 'invalid_request_error', 'model', 'missing_required_parameter');
    if (!Array.isArray(messages) || messages.length === 0) {
      return apiError(400, "Missing required parameter: 'messages'.", 'invalid_request_error', 'messages', 'missing_required_parameter');
    }
    if (!messages.every(isMessage)) return apiError(400, "Invalid type for 'messages': each message needs a string 'role' and its 'content'.", 'invalid_request_error', 'messages', 'invalid_type');
    if (stream === true) return apiError(400, "veloready's offline endpoint does not stream: call without 'stream: true'.", 'invalid_request_error', 'stream', 'unsupported_parameter');

    const prompt = messages.filter((m) => m.role === 'user').map((m) => textOf(m.content)).join('\n');
    const today = new Date(clock.now()).toISOString().slice(0, 10);
    const input = readBriefPrompt(prompt, today);
    // Seeded by the prompt itself: the same request gets the same words.
    const digest = createHash('sha256').update(JSON.stringify([model, messages])).digest('hex');
    input.userId = digest.slice(0, 16);
    const content = generateOfflineBrief(input);
    const promptTokens = tokens(messages.map((m) => textOf(m.content)).join('\n'));
    const completionTokens = tokens(content);
    return {
      status: 200,
      body: {
        id: `chatcmpl-${digest.slice(0, 29)}`,
        object: 'chat.completion',
        created: nowSeconds(clock),
        model,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
        system_fingerprint: null,
      },
    };
  }

  const modelObject = (id: string) => ({ id, object: 'model', created: 0, owned_by: id === OFFLINE_MODEL ? 'veloready' : 'openai' });

  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!path.startsWith(`${V1}/`)) return false;
    let reply: Reply;
    try {
      reply = await route(req, path);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      res.setHeader('connection', 'close');
      reply = apiError(413, `The request body is larger than ${MAX_REQUEST_BYTES} bytes.`);
    }
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'openai-processing-ms': '0' });
    res.end(text);
    return true;
  };
}

const INVALID_JSON = Symbol('invalid JSON');

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) throw new RangeError('body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return INVALID_JSON;
  }
}

function isMessage(m: unknown): m is ChatMessage {
  return !!m && typeof m === 'object' && typeof (m as ChatMessage).role === 'string' && 'content' in m;
}

/** A message's text: a string, or the text parts of a content array. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('\n');
  return '';
}

const tokens = (text: string): number => Math.max(1, Math.ceil(text.length / CHARS_PER_TOKEN));
