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
