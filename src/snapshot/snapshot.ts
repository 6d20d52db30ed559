import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tar from 'tar';
import type { ClockSetting } from '../clock/virtual-clock.js';
import { BLOBS_FILE } from '../blobs/target.js';
import { VeloError } from '../errors.js';
import { packageRoot } from '../util/package-root.js';
import { backupBlobs, restoreBlobs } from './blobs-copy.js';
import { assertMigratable, prepareCluster, PREPARED_DB, shippedMigrationVersion, type SnapshotDatabase } from './database.js';
import { createArchive, readArchive, writeArchiveTree, type ArchiveWriter, type ReadArchive } from './archive.js';
import { BLOBS_ENTRY, MANIFEST_FILE, SECRET_ENTRY, SNAPSHOT_FORMAT, type SnapshotFileEntry, type SnapshotManifest } from './manifest.js';
import type { TreeEntry } from './tree.js';
import { SNAPSHOT_EXT, snapshotsDir } from './names.js';

/** The local state a snapshot covers, at rest or inside a running serve. */
export interface LocalState {
  dataDir: string;
  database: SnapshotDatabase;
  jwtSecret(): string;
  setJwtSecret(secret: string): void;
  clock(): ClockSetting | null;
  setClock(setting: ClockSetting | null): void;
  /**
   * Runs `fn` with the state to itself: a running serve holds new requests meanwhile and lets
   * the running ones finish first (a save's copy, a load's swap). `changed`: the state was replaced.
   */
  exclusive<T>(fn: () => Promise<T>, opts?: { changed?: boolean }): Promise<T>;
  /** After a load (serve reconnects fake Strava to the loaded athletes). */
  afterLoad?(): Promise<void>;
}

/** The manifest as results show it: without the list of files. */
export type ManifestSummary = Omit<SnapshotManifest, 'files'> & { fileCount: number };
const summary = ({ files, ...rest }: SnapshotManifest): ManifestSummary => ({ ...rest, fileCount: files.length });

/** Milliseconds per step, for `--json` and the benchmark. */
export type StepTimes = Record<string, number>;

function stopwatch(): { lap(step: string): void; steps: StepTimes } {
  let last = performance.now();
  const steps: StepTimes = {};
  return {
    steps,
    lap(step) {
      const now = performance.now();
      steps[step] = Math.round(now - last);
      last = now;
    },
  };
}

export interface SaveResult {
  file: string;
  bytes: number;
  ms: number;
  steps: StepTimes;
  manifest: ManifestSummary;
}

export interface LoadResult {
  file: string;
  ms: number;
  steps: StepTimes;
  manifest: ManifestSummary;
  /** Migration versions before and after migrating forward. */
  migratedFrom: string;
  migratedTo: string;
}

const packageVersion = (): string => (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** A scratch folder inside the data dir (same filesystem: the prepared database is renamed into place). */
function workDir(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  return mkdtempSync(join(dataDir, '.snapshot-'));
}

export async function saveSnapshot(state: LocalState, file: string): Promise<SaveResult> {
  const started = performance.now();
  const watch = stopwatch();
  const partial = `${file}.partial-${process.pid}`;
  let versionRead: Promise<string> | undefined;
  let archive: ArchiveWriter | undefined;
  try {
    // One moment for every part, read into memory; hashing and compressing happen after it,
    // while serve answers again.
    const captured = await state.exclusive(async () => {
      const cluster = await state.database.capture();
      const blobs = backupBlobs(join(state.dataDir, BLOBS_FILE));
      return { cluster, blobs, jwtSecret: state.jwtSecret(), clock: state.clock() };
    });
    versionRead = Promise.resolve(captured.cluster.migrationVersion);
    watch.lap('copy');
    mkdirSync(dirname(file), { recursive: true });
    archive = createArchive(partial);
    const files: SnapshotFileEntry[] = [];
    const add = (entry: TreeEntry): void => {
      const described = archive!.add(entry);
      if (described) files.push(described);
    };
    add({ path: SECRET_ENTRY, data: Buffer.from(JSON.stringify({ jwtSecret: captured.jwtSecret }) + '\n') });
    add({ path: BLOBS_ENTRY, data: captured.blobs });
    for (const entry of captured.cluster.entries) add(entry);
    // Last, once the version is known (at rest it is read while zlib compresses the rest).
    const manifest: SnapshotManifest = {
      format: SNAPSHOT_FORMAT,
      veloreadyVersion: packageVersion(),
      migrationVersion: await versionRead,
      createdAt: new Date().toISOString(),
      clock: captured.clock,
      totalBytes: files.reduce((n, f) => n + f.bytes, 0),
      files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    };
    archive.add({ path: MANIFEST_FILE, data: Buffer.from(JSON.stringify(manifest, null, 2) + '\n') });
    await archive.finish();
    archive = undefined;
    renameSync(partial, file);
    watch.lap('compress');
    return { file, bytes: statSync(file).size, ms: Math.round(performance.now() - started), steps: watch.steps, manifest: summary(manifest) };
  } finally {
    await archive?.abort();
    await versionRead?.catch(() => undefined); // the resting database is closed and unlocked before returning
    rmSync(partial, { force: true });
  }
}

/**
 * Loads a snapshot all-or-nothing: the file is read and every part checked against the manifest
 * (sizes, SHA-256) before anything is written; the database is written and migrated forward off
 * to the side; only then is the live state swapped. A corrupt, truncated or too-new file changes
 * nothing.
 */
export async function loadSnapshot(state: LocalState, file: string): Promise<LoadResult> {
  const started = performance.now();
  if (!existsSync(file)) throw new VeloError('SNAPSHOT_NOT_FOUND', `no snapshot at ${file}`, 'see veloready snapshot ls');
  const watch = stopwatch();
  const archive = await readVerified(file, watch.lap);
  const { manifest } = archive;
  assertMigratable(manifest.migrationVersion);
  const { jwtSecret } = JSON.parse(archive.files.get(SECRET_ENTRY)!.data.toString('utf8')) as { jwtSecret: string };
  const work = workDir(state.dataDir);
  try {
    writeArchiveTree(archive, work, new Set([MANIFEST_FILE, SECRET_ENTRY]));
    archive.files.clear();
    watch.lap('write');
    // A cluster at this veloready's schema goes in as it is; an older one is migrated first.
    const migrated =
      manifest.migrationVersion === shippedMigrationVersion() ? { from: manifest.migrationVersion, to: manifest.migrationVersion } : await prepareCluster(work);
    watch.lap('migrate');
    await state.exclusive(async () => {
      await state.database.replace(PREPARED_DB(work), migrated.to);
      await restoreBlobs(join(state.dataDir, BLOBS_FILE), join(work, BLOBS_ENTRY));
      state.setJwtSecret(jwtSecret);
      state.setClock(manifest.clock);
      await state.afterLoad?.();
    }, { changed: true });
    watch.lap('swap');
    return { file, ms: Math.round(performance.now() - started), steps: watch.steps, manifest: summary(manifest), migratedFrom: migrated.from, migratedTo: migrated.to };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The archive in memory, checked file by file against its manifest (the manifest may come first or last). */
async function readVerified(file: string, lap: (step: string) => void): Promise<ReadArchive & { manifest: SnapshotManifest }> {
  const corrupt = (why: string): VeloError =>
    new VeloError('SNAPSHOT_CORRUPT', `${file} is not a complete veloready snapshot: ${why}`, 'nothing was changed; save it again, or copy the whole file');
  let archive: ReadArchive;
  try {
    archive = await readArchive(file);
  } catch (err) {
    throw corrupt((err as Error).message);
  }
  lap('extract');
  let manifest: SnapshotManifest;
  try {
    manifest = JSON.parse(archive.files.get(MANIFEST_FILE)!.data.toString('utf8')) as SnapshotManifest;
  } catch {
    throw corrupt('no readable manifest.json');
  }
  if (manifest.format !== SNAPSHOT_FORMAT) {
    throw new VeloError('SNAPSHOT_FORMAT', `${file} has snapshot format ${String(manifest.format)}; this veloready reads format ${SNAPSHOT_FORMAT}`, 'use the veloready version that saved it');
  }
  const expected = new Map(manifest.files.map((f) => [f.path, f]));
  const found = [...archive.files].filter(([path]) => path !== MANIFEST_FILE);
  if (found.length !== expected.size) throw corrupt(`${found.length} files where the manifest lists ${expected.size}`);
  for (const [path, { data, sha256 }] of found) {
    const want = expected.get(path);
    if (!want || want.bytes !== data.length || want.sha256 !== sha256) throw corrupt(`${path} does not match its checksum`);
  }
  if (!archive.files.has(SECRET_ENTRY) || !archive.files.has(BLOBS_ENTRY)) throw corrupt(`no ${archive.files.has(SECRET_ENTRY) ? BLOBS_ENTRY : SECRET_ENTRY}`);
  lap('checksum');
  return { ...archive, manifest };
}

export interface SnapshotListing {
  name: string;
  file: string;
  bytes: number;
  modifiedAt: string;
  manifest?: Pick<SnapshotManifest, 'veloreadyVersion' | 'migrationVersion' | 'createdAt' | 'clock'>;
}

export async function listSnapshots(dataDir: string): Promise<SnapshotListing[]> {
  const dir = snapshotsDir(dataDir);
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir).filter((n) => n.endsWith(SNAPSHOT_EXT)).sort();
  return Promise.all(
    names.map(async (n) => {
      const file = join(dir, n);
      const st = statSync(file);
      const manifest = await readManifest(file).catch(() => undefined);
      return {
        name: basename(n, SNAPSHOT_EXT),
        file,
        bytes: st.size,
        modifiedAt: st.mtime.toISOString(),
        ...(manifest ? { manifest: { veloreadyVersion: manifest.veloreadyVersion, migrationVersion: manifest.migrationVersion, createdAt: manifest.createdAt, clock: manifest.clock } } : {}),
      };
    }),
  );
}

/** The manifest alone, without extracting the rest (first in older files, last in newer ones). */
export async function readManifest(file: string): Promise<SnapshotManifest> {
  let text = '';
  let found = false;
  await tar.t({
    file,
    filter: (p) => p === MANIFEST_FILE,
    onReadEntry: (entry) => {
      found = true;
      entry.on('data', (c: Buffer) => (text += c.toString('utf8')));
    },
  });
  if (!found) throw new VeloError('SNAPSHOT_CORRUPT', `${file} has no manifest`);
  return JSON.parse(text) as SnapshotManifest;
}

export function removeSnapshot(file: string): void {
  if (!existsSync(file)) throw new VeloError('SNAPSHOT_NOT_FOUND', `no snapshot at ${file}`, 'see veloready snapshot ls');
  rmSync(file);
}
