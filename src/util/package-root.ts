import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The veloready package's root (where package.json lives), from source (vitest) or from dist/.
 * Non-code assets (migrations, fixtures) are read from here because tsc does not copy them.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('veloready package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return (cached = dir);
}
