import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpError } from '../emulator/http-error.js';
import { redactText } from '../util/redact.js';
import { describeProblem, type BuildProblem } from './build.js';
import type { SerializedError } from './messages.js';

const INTERNAL = 500;
const BLOBS_MISSING = 'MissingBlobsEnvironmentError';
const INVALID_RESPONSE = 'InvalidResponseError';

/** A project function's failure, answered as JSON 500 naming the function; its stack goes to the log only. */
export class FunctionFailure extends HttpError {
  constructor(code: string, message: string, stack?: string) {
    super(INTERNAL, code, redactText(message));
    this.stack = stack ? `${this.name}: ${this.message}\n${stack.split('\n').slice(1).join('\n')}` : `${this.name}: ${this.message}`;
  }
}

/** The first frame of project code in a stack (source-mapped to the .ts line), relative to the project. */
export function projectFrame(stack: string | undefined, projectDir: string): string | undefined {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const m = /(?:\(|at )((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m) continue;
    let file = m[1]!;
    if (file.startsWith('file://')) file = fileURLToPath(file);
    if (!isAbsolute(file) || file.includes('/node_modules/') || file.includes('/.netlify/')) continue;
    return `${relative(projectDir, file)}:${m[2]}:${m[3]}`;
  }
  return undefined;
}

const at = (err: SerializedError, projectDir: string): string => {
  const frame = projectFrame(err.stack, projectDir);
  return frame ? ` (${frame})` : '';
};

/** The handler threw or rejected. */
export function handlerFailure(name: string, err: SerializedError, projectDir: string): FunctionFailure {
  if (err.name === BLOBS_MISSING) return blobsNotConnected(name, err, projectDir);
  if (err.name === INVALID_RESPONSE) return new FunctionFailure('FUNCTION_INVALID_RESPONSE', `function "${name}" returned an invalid response: ${err.message}`);
  return new FunctionFailure('FUNCTION_ERROR', `function "${name}" failed: ${err.name}: ${err.message}${at(err, projectDir)}`, err.stack);
}

/** The module could not be loaded (an import failed, module-scope code threw). */
export function loadFailure(name: string, err: SerializedError, projectDir: string): FunctionFailure {
  if (err.name === BLOBS_MISSING) return blobsNotConnected(name, err, projectDir);
  const frame = projectFrame(err.stack, projectDir);
  return new FunctionFailure('FUNCTION_LOAD_FAILED', `function "${name}" failed to load: ${frame ? `${frame}: ` : ''}${err.name}: ${err.message}`, err.stack);
}

export function buildFailure(name: string, problem: BuildProblem): FunctionFailure {
  return new FunctionFailure('FUNCTION_BUILD_FAILED', `function "${name}" does not build: ${describeProblem(problem)}`);
}

/** The instance died under it: uncaught exception, unhandled rejection, process.exit, out of memory. */
export function crashFailure(name: string, why: string, err?: SerializedError, projectDir?: string): FunctionFailure {
  return new FunctionFailure('FUNCTION_CRASHED', `function "${name}" crashed: ${why}${err && projectDir ? at(err, projectDir) : ''}; its instance was replaced`, err?.stack);
}

function blobsNotConnected(name: string, err: SerializedError, projectDir: string): FunctionFailure {
  return new FunctionFailure(
    'BLOBS_NOT_CONNECTED',
    `function "${name}" used Netlify Blobs without a Blobs context${at(err, projectDir)}: ${err.name}: ${err.message}. ` +
      'A Lambda-compatible (v1) function gets the context only from its event, on Netlify as here: call connectLambda(event) first, or move the function to v2',
    err.stack,
  );
}
