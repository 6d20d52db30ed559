import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A folder, or a file with its bytes, of a tree read into memory; `path` is `/`-separated. */
export type TreeEntry = { path: string; dir: true } | { path: string; dir?: false; data: Uint8Array };

/**
 * Every folder and file under `root`, read whole, folders before what they hold, paths prefixed
 * with `prefix` (`pg` → `pg/base/5/1259`). One read per file: a snapshot hashes and compresses
 * these bytes (a PGlite cluster is ~1,000 files, ~40 MB).
 */
export function readTree(root: string, prefix: string): TreeEntry[] {
  const out: TreeEntry[] = [{ path: prefix, dir: true }];
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        out.push({ path, dir: true });
        walk(join(dir, e.name), path);
      } else if (e.isFile()) {
        out.push({ path, data: readFileSync(join(dir, e.name)) });
      }
    }
  };
  walk(root, prefix);
  return out;
}

/** A tree in one buffer, to move between threads without copying (postMessage's transfer list). */
export interface PackedTree {
  index: Array<{ path: string; dir: true } | { path: string; offset: number; length: number }>;
  buffer: ArrayBuffer;
}

export function packTree(entries: readonly TreeEntry[]): PackedTree {
  const total = entries.reduce((n, e) => n + (e.dir ? 0 : e.data.length), 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  const index = entries.map((e): PackedTree['index'][number] => {
    if (e.dir) return { path: e.path, dir: true };
    bytes.set(e.data, offset);
    offset += e.data.length;
    return { path: e.path, offset: offset - e.data.length, length: e.data.length };
  });
  return { index, buffer: bytes.buffer };
}

/** The entries again, each file a view of the one buffer. */
export function unpackTree(packed: PackedTree): TreeEntry[] {
  return packed.index.map((e) => ('dir' in e ? e : { path: e.path, data: new Uint8Array(packed.buffer, e.offset, e.length) }));
}
