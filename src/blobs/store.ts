/**
 * The BlobStore port: what handlers and `veloready cache` need from Netlify Blobs. Implemented by
 * the SQLite store (local), and the remote Netlify Blobs API client (production).
 * Shapes follow @netlify/blobs' Store so code reads the same against both.
 */
export type BlobMetadata = Record<string, unknown>;

export interface BlobEntry {
  data: Uint8Array;
  etag: string;
  metadata: BlobMetadata;
  /** ms since epoch of the write, when the backend knows it. */
  updatedAt?: number;
}

export interface BlobInfo {
  etag: string;
  metadata: BlobMetadata;
  /** ms since epoch of the write, when the backend knows it. */
  updatedAt?: number;
}

export interface SetOptions {
  metadata?: BlobMetadata;
  /** Seconds from now after which the entry reads as missing. */
  ttlSeconds?: number;
  /** Absolute expiry, ms since epoch. */
  expiresAt?: number;
  /** Write only if the current ETag matches (412-style conflict otherwise: modified=false). */
  onlyIfMatch?: string;
  /** Write only if the key does not exist. */
  onlyIfNew?: boolean;
}

export interface SetResult {
  modified: boolean;
  etag?: string;
}

export interface ListOptions {
  prefix?: string;
  /** Group keys by `/` like @netlify/blobs' `directories: true`. */
  directories?: boolean;
  cursor?: string;
  /** Page size hint. */
  limit?: number;
  /** Also list entries past their expiry (admin views: `cache ls`, `cache stats`, `purge --expired`). */
  includeExpired?: boolean;
}

/**
 * When a listed entry was last written, ms since epoch. The local store always knows; a remote list
 * page may not say (`WriteTime` = number | null), so admin code over any backend takes `Blobs<WriteTime>`.
 */
export type WriteTime = number | null;

export interface ListedBlob<W extends WriteTime = number> {
  key: string;
  etag: string;
  size: number;
  /** ms since epoch of the last write (null: the backend did not say). */
  updatedAt: W;
  /** ms since epoch, or null when the entry never expires (or its expiry cannot be known). */
  expiresAt: number | null;
}

export interface ListPage<W extends WriteTime = number> {
  blobs: Array<ListedBlob<W>>;
  directories: string[];
  /** Present when there is another page. */
  cursor?: string;
}

export interface BlobStore<W extends WriteTime = number> {
  readonly name: string;
  get(key: string): Promise<Uint8Array | null>;
  getJSON<T = unknown>(key: string): Promise<T | null>;
  getWithMetadata(key: string): Promise<BlobEntry | null>;
  getMetadata(key: string): Promise<BlobInfo | null>;
  set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<SetResult>;
  setJSON(key: string, value: unknown, options?: SetOptions): Promise<SetResult>;
  delete(key: string): Promise<void>;
  list(options?: ListOptions): Promise<ListPage<W>>;
}

/** A set of named stores (Netlify's "stores" / namespaces) on one backend. */
export interface Blobs<W extends WriteTime = number> {
  /** Printable description: `local (.veloready/blobs.sqlite)` or `netlify (site abc…)`. */
  readonly target: string;
  store(name: string): BlobStore<W>;
  listStores(): Promise<string[]>;
  close(): Promise<void>;
}
