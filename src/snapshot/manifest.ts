import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { ClockSetting } from '../clock/virtual-clock.js';

/** Bumped when the layout of a snapshot file changes. */
export const SNAPSHOT_FORMAT = 1;
export const MANIFEST_FILE = 'manifest.json';
/** The embedded database's files (a PGlite / Postgres data directory). */
export const DB_DIR = 'pg';
/** The blob store, a SQLite database file. */
export const BLOBS_ENTRY = 'blobs.sqlite';
/** `{ "jwtSecret": … }`: tokens minted before the snapshot stay valid after a load. */
export const SECRET_ENTRY = 'secret.json';

export interface SnapshotFileEntry {
  path: string;
  bytes: number;
  sha256: string;
}

export interface SnapshotManifest {
  format: number;
  veloreadyVersion: string;
  /** The newest migration applied to the database (`YYYYMMDDHHMMSS`). */
  migrationVersion: string;
  /** Real time of the save, ISO. */
  createdAt: string;
  /** serve's virtual clock at the save (null: real time). */
  clock: ClockSetting | null;
  totalBytes: number;
  files: SnapshotFileEntry[];
}

/** Every file under `dir` (relative, `/`-separated), with its size and SHA-256. */
export async function describeFiles(dir: string): Promise<SnapshotFileEntry[]> {
  // Read whole: a cluster is a few hundred small files and one WAL segment, tens of MB in all.
  return walk(dir)
    .sort()
    .map((path) => {
      const data = readFileSync(join(dir, path));
      return { path, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
    });
}

function walk(dir: string, root = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(full, root));
    else if (e.isFile()) out.push(relative(root, full).split(sep).join('/'));
  }
  return out;
}
