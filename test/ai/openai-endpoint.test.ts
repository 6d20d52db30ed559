import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAiBriefClient } from '../../src/ai/openai.js';
import type { BriefInput } from '../../src/ai/port.js';
import { buildBriefPrompt } from '../../src/ai/prompt.js';
import { readBriefPrompt } from '../../src/ai/prompt-read.js';
import { startTestServe, type TestServe } from '../serve/helpers.js';

const input: BriefInput = {
  athleteId: 1,
  firstName: 'Tom',
  date: '2026-03-05',
  ftp: 300,
  ctl: 80,
  atl: 70,
  tsb: 10,
  week_tss: 420,
  days_since_last: 1,
  last_rides: [
    { name: 'Tempo', date: '2026-03-04', tss: 90, moving_time_min: 75, weighted_average_watts: 250 },
    { name: 'Hilly loop', date: '2026-02-27', tss: 142, moving_time_min: 125, average_watts: 210 },
  ],
};

let serve: TestServe;
beforeAll(async () => {
  serve = await startTestServe();
});
afterAll(async () => {
  await serve?.stop();
});

const client = (model = 'gpt-4o-mini') => createOpenAiBriefClient({ apiKey: 'sk-project-key-0123456789', baseUrl: `${serve.url}/openai/v1`, model, retries: 0 });

describe("serve's offline OpenAI-compatible endpoint", () => {
  it("answers veloready's own OpenAI client with a brief written from the prompt's numbers", async () => {
    const out = await client().brief(input);
    expect(out.model).toBe('gpt-4o-mini');
    expect(out.text).toContain('Tom');
    expect(out.text).toMatch(/\+10/); // form
    expect(out.text).toMatch(/\b80\b/); // fitness
    expect(out.text).toContain('"Tempo"'); // the last ride, named
    expect(out.text).toMatch(/W\b/); // a power target from FTP 300
  });

  it('is deterministic: the same request gets the same words; other numbers other words', async () => {
    const a = await client().brief(input);
    const b = await client().brief(input);
    expect(b.text).toBe(a.text);
    const tired = await client().brief({ ...input, ctl: 60, atl: 95, tsb: -35 });
    expect(tired.text).not.toBe(a.text);
    expect(tired.text).toMatch(/-35/);
  });

  it("answers in OpenAI's chat.completion shape", async () => {
    const res = await fetch(`${serve.url}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-anything', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'system', content: 'coach' }, { role: 'user', content: buildBriefPrompt(input) }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    expect(body).toMatchObject({ object: 'chat.completion', model: 'gpt-4o', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant' } }] });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(typeof body.created).toBe('number');
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it("bad JSON is a 400 in OpenAI's error shape; a missing key a 401; missing messages a 400 naming the parameter", async () => {
    const post = (body: string, headers: Record<string, string> = { authorization: 'Bearer sk-x' }) =>
      fetch(`${serve.url}/openai/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const bad = await post('{"model": "gpt-4o-mini", "messages": [');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatchObject({ type: 'invalid_request_error', message: expect.stringMatching(/could not parse the JSON body/) });
    const noKey = await post('{}', {});
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as any).error.message).toMatch(/didn't provide an API key/);
    const noMessages = await post(JSON.stringify({ model: 'gpt-4o-mini' }));
    expect(noMessages.status).toBe(400);
    expect(((await noMessages.json()) as any).error).toMatchObject({ param: 'messages', code: 'missing_required_parameter' });
  });

  it('GET /openai/v1/models lists models; an unknown path is a 404 in the same shape', async () => {
    const res = await fetch(`${serve.url}/openai/v1/models`, { headers: { authorization: 'Bearer sk-x' } });
    const body = (await res.json()) as { object: string; data: Array<{ id: string; object: string }> };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toContain('gpt-4o-mini');
    expect(body.data.every((m) => m.object === 'model')).toBe(true);
    const missing = await fetch(`${serve.url}/openai/v1/embeddings`, { method: 'POST', headers: { authorization: 'Bearer sk-x' } });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).error.message).toBe('Invalid URL (POST /v1/embeddings)');
  });
});

describe('readBriefPrompt', () => {
  it('reads back the numbers buildBriefPrompt wrote, rides and their dates included', () => {
    const read = readBriefPrompt(buildBriefPrompt(input), '2000-01-01');
    expect(read).toMatchObject({ date: '2026-03-05', firstName: 'Tom', ftp: 300, ctl: 80, atl: 70, tsb: 10, week_tss: 420, days_since_last: 1 });
    expect(read.last_rides).toEqual([
      { name: 'Tempo', date: '2026-03-04', tss: 90, moving_time_min: 75, weighted_average_watts: 250, average_watts: null, average_heartrate: null },
      { name: 'Hilly loop', date: '2026-02-27', tss: 142, moving_time_min: 125, weighted_average_watts: null, average_watts: 210, average_heartrate: null },
    ]);
  });

  it("a project's own prompt without the format still yields a neutral brief for the fallback date", () => {
    const read = readBriefPrompt('Write a short training note. Fitness 55, fatigue 61.', '2026-03-05');
    expect(read).toMatchObject({ date: '2026-03-05', ctl: 55, atl: 61, tsb: -6, ftp: null, last_rides: [] });
  });
});
