import { CronExpressionParser } from 'cron-parser';
import { usageError } from '../errors.js';
import type { FunctionKind, Handler, NetlifyEvent } from './types.js';

export interface FunctionDef {
  name: string;
  kind: FunctionKind;
  /** Cron expression (`@hourly`, `0 3 * * *`), scheduled functions only. */
  schedule?: string;
  handler: Handler;
  /** Where it comes from: a project file (relative path) or `built-in`; absent means built-in. */
  source?: string;
  /** Its own routes besides redirects (a project v2 function's `config.path`). */
  routes?: readonly string[];
  /**
   * Background functions only: the id of the job a request continues (a resume), so a job keeps
   * one id for life; undefined starts a new job with a new id.
   */
  jobIdFor?: (event: NetlifyEvent) => string | undefined;
  /**
   * 'loopback': the emulator answers CORS preflight and allows loopback origins (veloready's
   * built-in functions). Absent: the function answers CORS itself (a project's own functions).
   */
  cors?: 'loopback';
}

export const BUILT_IN = 'built-in';

export interface FunctionRegistry {
  get(name: string): FunctionDef | undefined;
  list(): readonly FunctionDef[];
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const BACKGROUND_SUFFIX = '-background';

/** Builds the registry, checking each definition the way Netlify would at deploy time. */
export function createFunctionRegistry(defs: readonly FunctionDef[]): FunctionRegistry {
  const byName = new Map<string, FunctionDef>();
  for (const def of defs) {
    validate(def);
    if (byName.has(def.name)) throw usageError('DUPLICATE_FUNCTION', `function "${def.name}" is defined twice`);
    byName.set(def.name, Object.freeze({ ...def }));
  }
  const list = Object.freeze([...byName.values()]);
  return { get: (name) => byName.get(name), list: () => list };
}

function validate(def: FunctionDef): void {
  if (!NAME_RE.test(def.name)) {
    throw usageError('INVALID_FUNCTION', `invalid function name "${def.name}"`, 'use letters, digits, - and _');
  }
  if (typeof def.handler !== 'function') throw usageError('INVALID_FUNCTION', `function "${def.name}" has no handler`);
  const named = def.name.endsWith(BACKGROUND_SUFFIX);
  // A project file in functions-background/ is a background function whatever its name.
  if (def.kind === 'background' && !named && (def.source ?? BUILT_IN) === BUILT_IN) {
    throw usageError('INVALID_FUNCTION', `background function "${def.name}" must end with "${BACKGROUND_SUFFIX}"`);
  }
  if (named && def.kind !== 'background') {
    throw usageError('INVALID_FUNCTION', `"${def.name}" ends with "${BACKGROUND_SUFFIX}" so it must be a background function`);
  }
  if (def.kind === 'scheduled') {
    if (!def.schedule) throw usageError('INVALID_FUNCTION', `scheduled function "${def.name}" has no schedule`);
    try {
      CronExpressionParser.parse(def.schedule, { tz: 'UTC' });
    } catch (err) {
      throw usageError('INVALID_SCHEDULE', `function "${def.name}": invalid cron schedule "${def.schedule}": ${(err as Error).message}`);
    }
  } else if (def.schedule) {
    throw usageError('INVALID_FUNCTION', `only scheduled functions take a schedule ("${def.name}" is ${def.kind})`);
  }
}
