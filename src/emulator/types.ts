/**
 * Netlify's Lambda-compatible (v1) function form, the one contract between the emulator and the
 * handlers in src/functions. The same handler runs on Netlify unchanged.
 */
export interface NetlifyEvent {
  /** Full URL as the client asked for it, e.g. `http://localhost:8888/api/activities?limit=5`. */
  rawUrl: string;
  /** Query string without the leading `?` ('' when none). */
  rawQuery: string;
  /** Path as requested (before redirects), e.g. `/api/streams/42`. */
  path: string;
  httpMethod: string;
  /** Lower-case header names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  queryStringParameters: Record<string, string>;
  multiValueQueryStringParameters: Record<string, string[]>;
  body: string | null;
  isBase64Encoded: boolean;
}

export interface NetlifyResponse {
  statusCode: number;
  headers?: Record<string, string | number | boolean>;
  multiValueHeaders?: Record<string, ReadonlyArray<string | number | boolean>>;
  body?: string;
  isBase64Encoded?: boolean;
  /**
   * The body as the bytes to send, when it arrived encoded (a project function's answer, moved
   * from its worker thread without a copy): sent as is; `body` is then its text, decoded on access.
   */
  bytes?: Uint8Array;
}

export interface NetlifyContext {
  functionName: string;
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
  clientContext?: Record<string, unknown>;
  /** Route params bound by a netlify.toml redirect, e.g. `{ activityId: '42' }`. */
  params: Record<string, string>;
  /** Background functions only: the job this invocation runs as. */
  jobId?: string;
  /** Background functions only: publish free-form progress on the job record. */
  reportProgress?(progress: Record<string, unknown>): void;
  /** Aborted when the emulator shuts down: checkpoint and return soon. */
  signal?: AbortSignal;
}

export type Handler = (event: NetlifyEvent, context: NetlifyContext) => Promise<NetlifyResponse>;

export type FunctionKind = 'sync' | 'background' | 'scheduled';
