import { existsSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join, sep } from 'node:path';

export interface WatchTargets {
  /** Function folders: followed with their subfolders (a function may be a folder). */
  folders: string[];
  /** Every project file a function imports: their folders are followed. */
  inputs: string[];
}

export interface ProjectWatcher {
  /** Follows the folders of the current targets (after each reload). */
  update(targets: WatchTargets): void;
  close(): void;
}

/** Changes seen within this window make one reload (an editor writes a file in several steps). */
export const RELOAD_DEBOUNCE_MS = 30;
const IGNORED_SEGMENTS = new Set(['node_modules', '.netlify', '.git', '.veloready']);
/** Files of the project root that matter: the config and the environment; `netlify` when it appears. */
const ROOT_FILES_RE = /^(netlify\.toml|\.env(\..+)?|netlify)$/;

/**
 * Watches what the project's functions are made of and calls `onChange` once per burst of
 * changes: the function folders (recursively), the folder of each file they import, and
 * netlify.toml / .env in the project root.
 */
export function watchProject(projectDir: string, onChange: (changed: ReadonlySet<string> | undefined) => void): ProjectWatcher {
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  // The files saved in this burst; undefined once something calls for a full reload (netlify.toml, .env, an unnamed event).
  let burst: Set<string> | undefined = new Set();
  const changed = (path: string | null): void => {
    if (path === null) burst = undefined;
    else burst?.add(path);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = burst;
      burst = new Set();
      onChange(files);
    }, RELOAD_DEBOUNCE_MS);
  };
  const relevant = (dir: string, file: string | null): boolean => {
    if (!file) return true;
    const path = join(dir, file);
    return !path.split(sep).some((seg) => IGNORED_SEGMENTS.has(seg));
  };
  const follow = (key: string, dir: string, recursive: boolean, filter: (file: string | null) => boolean): void => {
    if (watchers.has(key) || !existsSync(dir)) return;
    try {
      const w = watch(dir, { recursive, persistent: false }, (_event, file) => {
        const name = file ? String(file) : null;
        if (filter(name)) changed(name === null || (dir === projectDir && ROOT_FILES_RE.test(name)) ? null : join(dir, name));
      });
      w.on('error', () => {
        w.close();
        watchers.delete(key);
      });
      watchers.set(key, w);
    } catch {
      /* a folder that vanished meanwhile: the next update follows what exists */
    }
  };
  // Files of the root are the configuration: any of them rebuilds everything.
  follow(`root:${projectDir}`, projectDir, false, (file) => file === null || ROOT_FILES_RE.test(file));
  return {
    update(targets) {
      const wanted = new Set<string>();
      for (const folder of targets.folders) {
        const key = `tree:${folder}`;
        wanted.add(key);
        follow(key, folder, true, (file) => relevant(folder, file));
        // A function folder that does not exist yet appears in its parent.
        if (!existsSync(folder)) {
          const parent = dirname(folder);
          wanted.add(`dir:${parent}`);
          follow(`dir:${parent}`, parent, false, () => true);
        }
      }
      for (const input of targets.inputs) {
        const dir = dirname(input);
        if (dir.split(sep).some((seg) => IGNORED_SEGMENTS.has(seg))) continue;
        const key = `dir:${dir}`;
        wanted.add(key);
        follow(key, dir, false, (file) => relevant(dir, file));
      }
      for (const [key, w] of watchers) {
        if (!key.startsWith('root:') && !wanted.has(key)) {
          w.close();
          watchers.delete(key);
        }
      }
    },
    close() {
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
