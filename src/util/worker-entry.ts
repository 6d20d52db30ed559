import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageRoot } from './package-root.js';

const bundled = new Map<string, Promise<URL>>();

/**
 * The file a worker thread runs for `name` beside the module at `from` (its import.meta.url):
 * the compiled `name.js` in dist/; run from the TypeScript sources (vitest), `name.ts` bundled
 * once per process with esbuild (packages left to resolve from node_modules), since a worker
 * cannot load .ts itself.
 */
export function workerEntry(from: string, name: string): Promise<URL> {
  const js = new URL(`./${name}.js`, from);
  if (existsSync(fileURLToPath(js))) return Promise.resolve(js);
  const ts = fileURLToPath(new URL(`./${name}.ts`, from));
  let out = bundled.get(ts);
  if (!out) {
    out = (async () => {
      const { build } = await import('esbuild');
      const dir = join(packageRoot(), 'node_modules', '.cache', 'veloready-workers');
      mkdirSync(dir, { recursive: true });
      const outfile = join(dir, `${name}-${process.pid}.mjs`);
      await build({ entryPoints: [ts], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, sourcemap: 'inline', logLevel: 'error' });
      return pathToFileURL(outfile);
    })();
    bundled.set(ts, out);
  }
  return out;
}
