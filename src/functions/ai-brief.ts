import type { Handler } from '../emulator/types.js';
import { BRIEF_PROMPT_VERSION, BRIEF_TTL_S, briefKey } from '../cache/keys.js';
import type { FunctionDeps } from './deps.js';
import { asCaller, authenticate, requireAthlete } from './lib/auth.js';
import { cachedResponse, cacheStore, createParsedMemo, createRenderedMemo, readThrough, renderOnce, wantsRefresh } from './lib/cache.js';
import { handler, logUnexpected } from './lib/handle.js';
import { requireMethod } from './lib/method.js';
import { jsonBody } from './lib/body.js';
import { trainingSnapshot, type TrainingSnapshot } from './lib/training.js';

export interface BriefBody {
  date: string;
  athlete_id: number;
  brief: string;
  model: string;
  prompt_version: string;
  metrics: TrainingSnapshot;
  generated_at: string;
}

const DAY_MS = 86_400_000;

/** The next UTC midnight after `now` (ms): when today's brief stops being today's. */
export const endOfUtcDay = (now: number): number => (Math.floor(now / DAY_MS) + 1) * DAY_MS;

/** The prompt version in force: the Ai's own when it says, else the cache scheme's default. */
function promptVersionOf(deps: FunctionDeps): string {
  return deps.ai.promptVersion || BRIEF_PROMPT_VERSION;
}

/**
 * `GET /api/ai-brief`: today's brief (UTC date) from the caller's training load, cached under
 * `{userId}:{date}:{promptVersion}` until the next UTC midnight (the blob entry and the client's
 * `max-age` alike). `POST` (or `Cache-Control: no-cache`) regenerates.
 */
export function createAiBriefHandler(deps: FunctionDeps): Handler {
  const parsed = createParsedMemo();
  const rendered = createRenderedMemo();
  return handler(async (event) => {
    const method = requireMethod(event, ['GET', 'POST']);
    if (method === 'POST') jsonBody(event, { optional: true }); // a broken body is the client's mistake: 400
    const caller = await authenticate(event, deps);
    const athleteId = requireAthlete(caller);
    const now = deps.clock.now();
    const date = new Date(now).toISOString().slice(0, 10);
    const dayEnd = endOfUtcDay(now);
    const promptVersion = promptVersionOf(deps);

    const load = async (): Promise<BriefBody> => {
      const metrics = await asCaller(deps, caller, (tx) => trainingSnapshot(tx, athleteId, now));
      const { firstname, ...numbers } = metrics;
      const out = await deps.ai.brief({ athleteId, userId: caller.userId, firstName: firstname, ...numbers });
      return {
        date,
        athlete_id: athleteId,
        brief: out.text,
        model: out.model,
        prompt_version: out.promptVersion || promptVersion,
        metrics,
        generated_at: new Date(now).toISOString(),
      };
    };

    const key = briefKey(caller.userId, date, promptVersion);
    const { entry, status, version } = await readThrough({
      store: cacheStore(deps),
      key,
      memo: parsed,
      ttlSeconds: BRIEF_TTL_S,
      clock: deps.clock,
      refresh: method === 'POST' || wantsRefresh(event),
      load,
      notAfter: dayEnd,
    });
    const out = renderOnce(rendered, `${key}|${version}`, () => JSON.stringify(entry.value));
    return cachedResponse(event, out.body, status, Math.min(entry.expiresAt, dayEnd), deps.clock, out.etag);
  }, logUnexpected(deps, 'ai-brief'));
}
