/**
 * A TypeScript module of src/ bundled to one ESM file a worker thread can import, so worker tests
 * run today's sources (not a stale dist/). Packages stay external and resolve from this
 * repository's node_modules, as they would from dist/.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

const OUT_DIR = resolve('node_modules', '.cache', 'veloready-test-workers');

export function bundleForWorker(entry: string): string {
  mkdirSync(OUT_DIR, { recursive: true });
  const outfile = join(OUT_DIR, `${entry.replace(/[^\w]+/g, '_')}-${process.pid}.mjs`);
  buildSync({ entryPoints: [resolve(entry)], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'error' });
  return pathToFileURL(outfile).href;
}
