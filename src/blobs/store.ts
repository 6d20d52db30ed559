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

export interface ListedBlob {
  key: string;
  etag: string;
  size: number;
  /** ms since epoch of the last write. */
  updatedAt: number;
  /** ms since epoch, or null when the entry never expires. */
  expiresAt: number | null;
}

export interface ListPage {
  blobs: ListedBlob[];
  directories: string[];
  /** Present when there is another page. */
  cursor?: string;
}

export interface BlobStore {
  readonly name: string;
  get(key: string): Promise<Uint8Array | null>;
  getJSON<T = unknown>(key: string): Promise<T | null>;
  getWithMetadata(key: string): Promise<BlobEntry | null>;
  getMetadata(key: string): Promise<BlobInfo | null>;
  set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<SetResult>;
  setJSON(key: string, value: unknown, options?: SetOptions): Promise<SetResult>;
  delete(key: string): Promise<void>;
  list(options?: ListOptions): Promise<ListPage>;
}

/** A set of named stores (Netlify's "stores" / namespaces) on one backend. */
export interface Blobs {
  /** Printable description: `local (.veloready/blobs.sqlite)` or `netlify (site abc…)`. */
  readonly target: string;
  store(name: string): BlobStore;
  listStores(): Promise<string[]>;
  close(): Promise<void>;
}
