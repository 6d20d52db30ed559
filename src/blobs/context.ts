/** The NETLIFY_BLOBS_CONTEXT value that points the official @netlify/blobs client at a server. */
export const BLOBS_CONTEXT_ENV = 'NETLIFY_BLOBS_CONTEXT';
export const DEFAULT_PRIMARY_REGION = 'us-east-1';
/**
 * The site id `serve` and `veloready blobs serve` accept unless told otherwise. Their token is the
 * data dir's own (loadOrCreateBlobsToken in src/auth/secret.ts), never a public default.
 */
export const LOCAL_SITE_ID = 'veloready-local';
export const DEFAULT_BLOBS_PORT = 8971;

export interface BlobsContextInput {
  /** Origin of our protocol server, e.g. http://127.0.0.1:8888 (a path is ignored by the client). */
  url: string;
  siteID: string;
  token: string;
  deployID?: string;
}

export interface BlobsContext {
  siteID: string;
  token: string;
  edgeURL: string;
  uncachedEdgeURL: string;
  apiURL: string;
  primaryRegion: string;
  deployID?: string;
}

export function blobsContext(input: BlobsContextInput): BlobsContext {
  const origin = new URL(input.url).origin;
  return {
    siteID: input.siteID,
    token: input.token,
    edgeURL: origin,
    uncachedEdgeURL: origin,
    apiURL: origin,
    primaryRegion: DEFAULT_PRIMARY_REGION,
    ...(input.deployID ? { deployID: input.deployID } : {}),
  };
}

/** base64(JSON), exactly what the client decodes from the environment. */
export const encodeBlobsContext = (input: BlobsContextInput): string =>
  Buffer.from(JSON.stringify(blobsContext(input)), 'utf8').toString('base64');
