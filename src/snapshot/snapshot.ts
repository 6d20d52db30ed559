import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import * as tar from 'tar';
import type { ClockSetting } from '../clock/virtual-clock.js';
import { BLOBS_FILE } from '../blobs/target.js';
import { VeloError } from '../errors.js';
import { packageRoot } from '../util/package-root.js';
import { backupBlobs, restoreBlobs } from './blobs-copy.js';
import { assertMigratable, prepareCluster, PREPARED_DB, shippedMigrationVersion, type SnapshotDatabase } from './database.js';
import { BLOBS_ENTRY, DB_DIR, describeFiles, MANIFEST_FILE, SECRET_ENTRY, SNAPSHOT_FORMAT, type SnapshotManifest } from './manifest.js';
import { SNAPSHOT_EXT, snapshotsDir } from './names.js';

/** gzip level: 6 keeps the demo data under 5 MB; lower levels save ~0.5 s but not the size. */
const GZIP_LEVEL = 6;
const ZLIB_CHUNK_BYTES = 1024 * 1024;

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
  const work = workDir(state.dataDir);
  const partial = `${file}.partial-${process.pid}`;
  try {
    // One moment for every part; the compression after it runs while serve answers again.
    const { migrationVersion, clock } = await state.exclusive(async () => {
      const version = await state.database.capture(join(work, DB_DIR));
      await backupBlobs(join(state.dataDir, BLOBS_FILE), join(work, BLOBS_ENTRY));
      writeFileSync(join(work, SECRET_ENTRY), JSON.stringify({ jwtSecret: state.jwtSecret() }) + '\n', { mode: 0o600 });
      return { migrationVersion: version, clock: state.clock() };
    });
    watch.lap('copy');
    const files = await describeFiles(work);
    watch.lap('checksum');
    const manifest: SnapshotManifest = {
      format: SNAPSHOT_FORMAT,
      veloreadyVersion: packageVersion(),
      migrationVersion,
      createdAt: new Date().toISOString(),
      clock,
      totalBytes: files.reduce((n, f) => n + f.bytes, 0),
      files,
    };
    writeFileSync(join(work, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    mkdirSync(dirname(file), { recursive: true });
    // The manifest first, so a reader (snapshot ls) finds it without reading the rest.
    // Node's own gzip stream with large chunks: it compresses on the thread pool, several
    // times faster than tar's built-in gzip, and off serve's event loop.
    await pipeline(
      tar.c({ cwd: work, portable: true }, [MANIFEST_FILE, SECRET_ENTRY, BLOBS_ENTRY, DB_DIR]),
      createGzip({ level: GZIP_LEVEL, chunkSize: ZLIB_CHUNK_BYTES }),
      createWriteStream(partial, { mode: 0o600 }),
    );
    renameSync(partial, file);
    watch.lap('compress');
    return { file, bytes: statSync(file).size, ms: Math.round(performance.now() - started), steps: watch.steps, manifest: summary(manifest) };
  } finally {
    rmSync(partial, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Loads a snapshot all-or-nothing: the file is extracted and every part checked against the
 * manifest (sizes, SHA-256), the database migrated forward, off to the side; only then is the
 * live state swapped. A corrupt, truncated or too-new file changes nothing.
 */
export async function loadSnapshot(state: LocalState, file: string): Promise<LoadResult> {
  const started = performance.now();
  if (!existsSync(file)) throw new VeloError('SNAPSHOT_NOT_FOUND', `no snapshot at ${file}`, 'see veloready snapshot ls');
  const watch = stopwatch();
  const work = workDir(state.dataDir);
  try {
    const manifest = await extractVerified(file, work, watch.lap);
    assertMigratable(manifest.migrationVersion);
    const { jwtSecret } = JSON.parse(readFileSync(join(work, SECRET_ENTRY), 'utf8')) as { jwtSecret: string };
    // A cluster at this veloready's schema goes in as it is; an older one is migrated first.
    const migrated =
      manifest.migrationVersion === shippedMigrationVersion() ? { from: manifest.migrationVersion, to: manifest.migrationVersion } : await prepareCluster(work);
    watch.lap('migrate');
    await state.exclusive(async () => {
      await state.database.replace(PREPARED_DB(work));
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

async function extractVerified(file: string, into: string, lap: (step: string) => void): Promise<SnapshotManifest> {
  const corrupt = (why: string): VeloError =>
    new VeloError('SNAPSHOT_CORRUPT', `${file} is not a complete veloready snapshot: ${why}`, 'nothing was changed; save it again, or copy the whole file');
  try {
    await pipeline(createReadStream(file, { highWaterMark: ZLIB_CHUNK_BYTES }), createGunzip({ chunkSize: ZLIB_CHUNK_BYTES }), tar.x({ cwd: into, strict: true }));
  } catch (err) {
    throw corrupt((err as Error).message);
  }
  lap('extract');
  let manifest: SnapshotManifest;
  try {
    manifest = JSON.parse(readFileSync(join(into, MANIFEST_FILE), 'utf8')) as SnapshotManifest;
  } catch {
    throw corrupt('no readable manifest.json');
  }
  if (manifest.format !== SNAPSHOT_FORMAT) {
    throw new VeloError('SNAPSHOT_FORMAT', `${file} has snapshot format ${String(manifest.format)}; this veloready reads format ${SNAPSHOT_FORMAT}`, 'use the veloready version that saved it');
  }
  rmSync(join(into, MANIFEST_FILE));
  const found = await describeFiles(into);
  const expected = new Map(manifest.files.map((f) => [f.path, f]));
  if (found.length !== expected.size) throw corrupt(`${found.length} files where the manifest lists ${expected.size}`);
  for (const f of found) {
    const want = expected.get(f.path);
    if (!want || want.bytes !== f.bytes || want.sha256 !== f.sha256) throw corrupt(`${f.path} does not match its checksum`);
  }
  lap('checksum');
  return manifest;
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

/** The manifest alone (the first entry), without extracting the rest. */
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
