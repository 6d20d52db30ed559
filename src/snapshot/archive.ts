import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import * as tar from 'tar';
import type { SnapshotFileEntry } from './manifest.js';
import type { TreeEntry } from './tree.js';

/** gzip level: 6 keeps the demo data under 5 MB (4.6 MB; level 5 gives 4.7 MB, 1 gives 5.4 MB). */
const GZIP_LEVEL = 6;
const ZLIB_CHUNK_BYTES = 1024 * 1024;
const SMALL_WRITE_BYTES = 64 * 1024;
const BLOCK = 512;
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export interface ArchiveWriter {
  /** Appends a folder or a file; a file's size and SHA-256 come back for the manifest. */
  add(entry: TreeEntry): SnapshotFileEntry | undefined;
  /** Ends the archive and waits until `file` is complete on disk. */
  finish(): Promise<void>;
  /** Gives up: the file is closed incomplete (the caller deletes it). */
  abort(): Promise<void>;
}

/**
 * A `.tar.gz` written from bytes already in memory (each file read once: hashed here, compressed
 * by Node's zlib on the thread pool while the caller's thread goes on). Entries are portable: no
 * owner, mode 0600 / 0700.
 */
export function createArchive(file: string): ArchiveWriter {
  const gzip = createGzip({ level: GZIP_LEVEL, chunkSize: ZLIB_CHUNK_BYTES });
  const done = pipeline(gzip, createWriteStream(file, { mode: FILE_MODE }));
  done.catch(() => undefined); // awaited in finish(); never unhandled meanwhile
  const mtime = new Date();
  // Headers, padding and small files are batched (one zlib job per ~MiB, not three per file);
  // large files go as they are, uncopied.
  let batch: Uint8Array[] = [];
  let batched = 0;
  const flush = (): void => {
    if (batch.length > 0) gzip.write(Buffer.concat(batch, batched));
    batch = [];
    batched = 0;
  };
  const write = (chunk: Uint8Array): void => {
    if (chunk.length >= SMALL_WRITE_BYTES) {
      flush();
      gzip.write(chunk);
      return;
    }
    batch.push(chunk);
    batched += chunk.length;
    if (batched >= ZLIB_CHUNK_BYTES) flush();
  };
  return {
    add(entry) {
      const size = entry.dir ? 0 : entry.data.length;
      const header = new tar.Header({
        path: entry.dir ? `${entry.path}/` : entry.path,
        type: entry.dir ? 'Directory' : 'File',
        mode: entry.dir ? DIR_MODE : FILE_MODE,
        size,
        mtime,
      });
      const block = Buffer.alloc(BLOCK);
      if (header.encode(block, 0)) throw new Error(`snapshot entry path too long for a tar header: ${entry.path}`);
      write(block);
      if (entry.dir) return undefined;
      write(entry.data);
      if (size % BLOCK !== 0) write(Buffer.alloc(BLOCK - (size % BLOCK)));
      return { path: entry.path, bytes: size, sha256: sha256(entry.data) };
    },
    async finish() {
      write(Buffer.alloc(2 * BLOCK)); // the end-of-archive marker
      flush();
      gzip.end();
      await done;
    },
    async abort() {
      gzip.destroy(new Error('snapshot save abandoned'));
      await done.catch(() => undefined);
    },
  };
}

/** A snapshot archive read into memory: every file with its SHA-256, and every folder. */
export interface ReadArchive {
  files: Map<string, { data: Buffer; sha256: string }>;
  dirs: string[];
}

/** Thrown for anything that is not a well-formed archive of plain files and folders. */
export class ArchiveError extends Error {}

/** `a/b/c`: relative, no `.`/`..`/empty segment, no backslash. What a snapshot may write. */
function safePath(raw: string): string {
  const path = raw.replace(/\/+$/, '');
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new ArchiveError(`unsafe entry path ${JSON.stringify(raw)}`);
  }
  return path;
}

/**
 * Reads a `.tar.gz` whole into memory, hashing each file as it arrives: nothing is written, so
 * a caller checks it against its manifest before anything touches the disk. Links, devices and
 * unsafe paths are refused.
 */
export async function readArchive(file: string): Promise<ReadArchive> {
  const files: ReadArchive['files'] = new Map();
  const dirs: string[] = [];
  let refused: Error | undefined;
  const parser = new tar.Parser({
    strict: true,
    onReadEntry: (entry) => {
      try {
        const path = safePath(entry.path);
        if (entry.type === 'Directory') dirs.push(path);
        else if (entry.type === 'File' || entry.type === 'OldFile') {
          const chunks: Buffer[] = [];
          entry.on('data', (c: Buffer) => chunks.push(c));
          entry.on('end', () => {
            const data = Buffer.concat(chunks);
            files.set(path, { data, sha256: sha256(data) });
          });
          return;
        } else throw new ArchiveError(`${entry.type} entry ${JSON.stringify(entry.path)} (a snapshot holds plain files and folders only)`);
      } catch (err) {
        refused ??= err as Error;
      }
      entry.resume();
    },
  });
  await pipeline(createReadStream(file, { highWaterMark: ZLIB_CHUNK_BYTES }), createGunzip({ chunkSize: ZLIB_CHUNK_BYTES }), parser);
  if (refused) throw refused;
  return { files, dirs };
}

/** Writes what readArchive() found under `into` (folders 0700, files 0600). */
export function writeArchiveTree(archive: ReadArchive, into: string, skip: ReadonlySet<string> = new Set()): void {
  const made = new Set<string>();
  const folder = (path: string): void => {
    if (made.has(path)) return;
    mkdirSync(path, { recursive: true, mode: DIR_MODE });
    made.add(path);
  };
  for (const d of archive.dirs) folder(join(into, d));
  for (const [path, { data }] of archive.files) {
    if (skip.has(path)) continue;
    const target = join(into, path);
    folder(dirname(target));
    writeFileSync(target, data, { mode: FILE_MODE });
  }
}
