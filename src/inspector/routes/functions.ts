import { mintAccessToken } from '../../auth/jwt.js';
import type { FunctionDef } from '../../emulator/functions.js';
import { functionRows } from '../../serve/summary.js';
import { ApiError, type ApiRoute } from '../api-router.js';
import type { InspectorSources } from '../context.js';
import type { ScheduledRunBook } from '../scheduled-runs.js';

/** Where a function comes from: built in, or a project file once project functions exist (read defensively). */
export function sourceOf(def: FunctionDef): string {
  const source = (def as { source?: unknown }).source;
  if (typeof source === 'string' && source) return source;
  if (source && typeof source === 'object') {
    const s = source as { kind?: unknown; path?: unknown; file?: unknown };
    const where = typeof s.path === 'string' ? s.path : typeof s.file === 'string' ? s.file : undefined;
    if (where) return where;
    if (typeof s.kind === 'string') return s.kind;
  }
  return 'built-in';
}

/** An operator's token for what the inspector invokes on the developer's behalf (background runs, resumes). */
export function serviceToken(s: InspectorSources): string {
  return mintAccessToken({ secret: s.jwtSecret, clock: s.clock, role: 'service_role', ttlSeconds: 300, issuer: `${s.url}/auth/v1` }).token;
}

/** Starts a background function as the operator would with `veloready trigger`. */
export async function startBackground(s: InspectorSources, name: string, body: unknown) {
  const { job, response } = await s.emulator.invoke(name, {
    method: 'POST',
    baseUrl: s.url,
    headers: { authorization: `Bearer ${serviceToken(s)}`, 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  if (!job) throw new ApiError(response.statusCode >= 400 ? response.statusCode : 500, 'NOT_STARTED', `${name} did not start a job`);
  return job;
}

export function functionRoutes(s: InspectorSources, runs: ScheduledRunBook): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/functions',
      handler: async () => {
        const next = new Map(s.scheduler.nextRuns().map((r) => [r.function, r.nextRun]));
        const defs = s.functions.list();
        const rows = functionRows(defs, s.emulator.router.rules);
        return {
          functions: rows.map((row, i) => ({
            ...row,
            source: sourceOf(defs[i]!),
            nextRun: next.get(row.name) ?? null,
            runnable: row.kind !== 'sync',
          })),
        };
      },
    },
    {
      method: 'POST',
      path: '/functions/:name/run',
      handler: async ({ params, body }) => {
        const def = s.functions.get(params.name!);
        if (!def) throw new ApiError(404, 'FUNCTION_NOT_FOUND', `no function named "${params.name}"`);
        if (def.kind === 'scheduled') return { job: runs.runNow(def.name) };
        if (def.kind === 'background') return { job: await startBackground(s, def.name, body['body']) };
        throw new ApiError(400, 'NOT_RUNNABLE', `"${def.name}" is a synchronous function: call its route instead`);
      },
    },
  ];
}
