import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../src/clock.js';
import { createOpenAiBriefClient } from '../../src/ai/openai.js';
import { withFallback } from '../../src/ai/fallback.js';
import { createOfflineAi } from '../../src/ai/offline.js';
import { selectAi } from '../../src/ai/select.js';
import type { BriefInput } from '../../src/ai/port.js';

const KEY = 'sk-test-abcdefghijklmnopqrstuvwxyz';
const input: BriefInput = {
  athleteId: 1,
  firstName: 'Tom',
  date: '2026-03-05',
  ftp: 300,
  ctl: 80,
  atl: 70,
  tsb: 10,
  last_rides: [{ name: 'Tempo', date: '2026-03-04', tss: 90, moving_time_min: 75, weighted_average_watts: 250 }],
};

interface Seen {
  path: string;
  auth: string | undefined;
  body: { model: string; messages: Array<{ role: string; content: string }> };
}
type Reply = (req: IncomingMessage, res: ServerResponse, seen: Seen[]) => void;

let servers: Server[] = [];
afterEach(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

/** A tiny OpenAI-compatible server: each request gets the next reply (the last one repeats). */
async function fakeOpenAi(...replies: Reply[]): Promise<{ baseUrl: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      seen.push({ path: req.url!, auth: req.headers.authorization, body: JSON.parse(data || '{}') });
      replies[Math.min(seen.length - 1, replies.length - 1)]!(req, res, seen);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, seen };
}

const reply = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));
};
const completion = (content: string) => reply(200, { id: 'chatcmpl-1', model: 'gpt-4o-mini-2024-07-18', choices: [{ index: 0, message: { role: 'assistant', content } }] });
const client = (baseUrl: string, extra: Record<string, unknown> = {}) =>
  createOpenAiBriefClient({ apiKey: KEY, baseUrl, model: 'gpt-4o-mini', clock: new ManualClock(0), ...extra });

describe('OpenAI-compatible brief client', () => {
  it('POSTs /chat/completions with the key and the numbers, and returns the text and model', async () => {
    const { baseUrl, seen } = await fakeOpenAi(completion('  Tom, form is +10. Go do 2 × 20.  '));
    const out = await client(baseUrl).brief(input);
    expect(out).toEqual({ text: 'Tom, form is +10. Go do 2 × 20.', model: 'gpt-4o-mini-2024-07-18', promptVersion: 'v1' });
    expect(seen[0]!.path).toBe('/v1/chat/completions');
    expect(seen[0]!.auth).toBe(`Bearer ${KEY}`);
    expect(seen[0]!.body.model).toBe('gpt-4o-mini');
    const user = seen[0]!.body.messages.find((m) => m.role === 'user')!.content;
    expect(user).toContain('CTL 80, ATL 70, TSB 10');
    expect(user).toContain('"Tempo" (1h 15m, NP 250 W, TSS 90)');
    expect(user).toContain('2 × 20 min at threshold, 285–300 W');
  });

  it('a rejected key is OPENAI_AUTH and the key never appears in the error', async () => {
    const { baseUrl } = await fakeOpenAi(reply(401, { error: { message: `Incorrect API key provided: ${KEY}`, type: 'invalid_request_error' } }));
    const err = await client(baseUrl).brief(input).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'VeloError', code: 'OPENAI_AUTH', status: 502, hint: 'check OPENAI_API_KEY' });
    expect(JSON.stringify({ m: (err as Error).message, s: (err as Error).stack })).not.toContain(KEY);
  });

  it('retries once after a 429 (waiting Retry-After on the injected clock), then succeeds', async () => {
    const clock = new ManualClock(0);
    const { baseUrl, seen } = await fakeOpenAi(reply(429, { error: { message: 'slow down' } }, { 'retry-after': '2' }), completion('ok'));
    expect((await client(baseUrl, { clock }).brief(input)).text).toBe('ok');
    expect(seen).toHaveLength(2);
    expect(clock.now()).toBe(2000);
  });

  it('a server that keeps failing is OPENAI_UNAVAILABLE after the retry; a bad model is OPENAI_BAD_REQUEST without retry', async () => {
    const down = await fakeOpenAi(reply(503, 'upstream down'));
    await expect(client(down.baseUrl).brief(input)).rejects.toMatchObject({ code: 'OPENAI_UNAVAILABLE', status: 502 });
    expect(down.seen).toHaveLength(2);
    const bad = await fakeOpenAi(reply(404, { error: { message: 'The model `gpt-9` does not exist' } }));
    await expect(client(bad.baseUrl).brief(input)).rejects.toMatchObject({ code: 'OPENAI_BAD_REQUEST', message: expect.stringContaining('gpt-9') });
    expect(bad.seen).toHaveLength(1);
  });

  it('malformed answers are OPENAI_BAD_RESPONSE', async () => {
    const notJson = await fakeOpenAi(reply(200, '<html>'));
    await expect(client(notJson.baseUrl).brief(input)).rejects.toMatchObject({ code: 'OPENAI_BAD_RESPONSE' });
    const empty = await fakeOpenAi(reply(200, { choices: [] }));
    await expect(client(empty.baseUrl).brief(input)).rejects.toMatchObject({ code: 'OPENAI_BAD_RESPONSE' });
  });

  it('a slow server is OPENAI_TIMEOUT (504) and an unreachable one OPENAI_UNREACHABLE', async () => {
    const slow = await fakeOpenAi((_req, res) => setTimeout(() => res.end('{}'), 2000));
    const t0 = Date.now();
    await expect(client(slow.baseUrl, { timeoutMs: 100 }).brief(input)).rejects.toMatchObject({ code: 'OPENAI_TIMEOUT', status: 504 });
    expect(Date.now() - t0).toBeLessThan(1500);
    await expect(client('http://127.0.0.1:1/v1').brief(input)).rejects.toMatchObject({ code: 'OPENAI_UNREACHABLE' });
  });

  it('withFallback answers offline when OpenAI fails, and selectAi picks by key', async () => {
    const down = await fakeOpenAi(reply(401, { error: { message: 'bad key' } }));
    const errors: unknown[] = [];
    const ai = withFallback(client(down.baseUrl), createOfflineAi(), (e) => errors.push(e));
    const out = await ai.brief(input);
    expect(out.model).toBe('veloready-offline');
    expect(errors[0]).toMatchObject({ code: 'OPENAI_AUTH' });
    expect(selectAi({}).model).toBe('veloready-offline');
    expect(selectAi({ openAiApiKey: KEY, openAiModel: 'gpt-4.1-mini' }).model).toBe('gpt-4.1-mini');
    expect(() => createOpenAiBriefClient({ apiKey: '' })).toThrow(expect.objectContaining({ code: 'OPENAI_KEY_MISSING' }));
  });
});
