import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { FunctionForm } from './messages.js';

/** Where bundles go: inside the project, so the packages they import resolve from its node_modules. */
export const BUNDLE_DIR = '.netlify/veloready-functions';

export interface SourceLocation {
  /** Relative to the project. */
  file: string;
  line: number;
  column: number;
}

export interface BuildProblem {
  location?: SourceLocation;
  message: string;
}

export type BuildResult =
  | { ok: true; bundle: string; form: FunctionForm; hash: string; inputs: string[]; ms: number }
  | { ok: false; problem: BuildProblem; inputs: string[]; ms: number };

let builds = 0;

/**
 * Bundles one function's own files (its lib/ imports included) into one ESM file with an inline
 * source map; packages stay imports, resolved at run time from the project's node_modules, so the
 * versions the project pins are the ones that run.
 */
export async function buildFunction(projectDir: string, name: string, entry: string): Promise<BuildResult> {
  const started = performance.now();
  const { build } = await import('esbuild');
  const outDir = resolve(projectDir, BUNDLE_DIR);
  mkdirSync(outDir, { recursive: true });
  // A new file per build: a worker importing it never sees a half-written or cached older one.
  const bundle = join(outDir, `${name}.${process.pid}.${++builds}.mjs`);
  try {
    const result = await build({
      entryPoints: [entry],
      absWorkingDir: projectDir,
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      sourcemap: 'inline',
      sourcesContent: false,
      metafile: true,
      logLevel: 'silent',
      write: true,
    });
    const meta = result.metafile;
    const inputs = Object.keys(meta.inputs).map((p) => resolve(projectDir, p));
    const output = Object.values(meta.outputs)[0]!;
    const entryFormat = meta.inputs[relative(projectDir, entry)]?.format;
    const form = formOf(output.exports, entryFormat);
    const ms = performance.now() - started;
    if (!form) {
      rmSync(bundle, { force: true });
      return { ok: false, problem: { location: { file: relative(projectDir, entry), line: 1, column: 1 }, message: 'exports neither `handler` (Lambda-compatible, v1) nor a default function (v2)' }, inputs, ms };
    }
    const hash = createHash('sha1').update(readFileSync(bundle)).digest('hex');
    return { ok: true, bundle, form, hash, inputs, ms };
  } catch (err) {
    const failure = err as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> };
    const first = failure.errors?.[0];
    const problem: BuildProblem = first
      ? { message: first.text, ...(first.location ? { location: { file: first.location.file, line: first.location.line, column: first.location.column + 1 } } : {}) }
      : { message: (err as Error).message };
    // The files the failed build reached are unknown: the entry (and, through the watcher, any change) rebuilds it.
    return { ok: false, problem, inputs: [entry, ...(problem.location ? [resolve(projectDir, problem.location.file)] : [])], ms: performance.now() - started };
  }
}

/** v2 is an ES module's default export; v1 a `handler` export (or a CommonJS module's). */
function formOf(exports: string[], entryFormat: string | undefined): FunctionForm | undefined {
  if (entryFormat !== 'cjs' && exports.includes('default')) return 'v2';
  if (exports.includes('handler') || (entryFormat === 'cjs' && exports.includes('default'))) return 'v1';
  return undefined;
}

export const describeProblem = (p: BuildProblem): string =>
  p.location ? `${p.location.file}:${p.location.line}:${p.location.column}: ${p.message}` : p.message;
