/** What `veloready cache purge` removes. Criteria combine with AND; `prefixes` match any of them. */
export interface PurgeFilter {
  /** Only this store (every store when absent). */
  store?: string;
  prefixes?: string[];
  /** Extra key test (e.g. "is a brief key"). */
  predicate?: (key: string) => boolean;
  /** Only entries past their expiry. */
  expired?: boolean;
  /** Only entries last written before this time (ms since epoch). */
  updatedBefore?: number;
  /** Report what would go without deleting. */
  dryRun?: boolean;
}

export interface PurgedKey {
  store: string;
  key: string;
  size: number;
}

export interface PurgeResult {
  keys: PurgedKey[];
  bytes: number;
  /** Entries an age filter skipped because the backend did not say when they were written. */
  unknownAge?: number;
}

export interface PurgeCandidate {
  key: string;
  size: number;
  /** ms since epoch of the last write; null when unknown (never "older than" anything). */
  updatedAt: number | null;
  expiresAt: number | null;
}

/** The purge predicate over one entry, shared by every backend. */
export function matchesPurge(filter: PurgeFilter, entry: PurgeCandidate, now: number): boolean {
  if (filter.prefixes && filter.prefixes.length > 0 && !filter.prefixes.some((p) => entry.key.startsWith(p))) return false;
  if (filter.expired && !(entry.expiresAt !== null && entry.expiresAt <= now)) return false;
  if (filter.updatedBefore !== undefined && !(entry.updatedAt !== null && entry.updatedAt < filter.updatedBefore)) return false;
  if (filter.predicate && !filter.predicate(entry.key)) return false;
  return true;
}
