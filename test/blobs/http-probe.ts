import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

/** What reached a probe: its connections, its busiest moment and every request. */
export interface Probe {
  url: string;
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** The most requests in progress at once. */
  readonly maxInFlight: number;
  requests: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

export interface ProbeOptions {
  /** Hold each request this long before forwarding it, so concurrent requests overlap. */
  delayMs?: number;
  /** Rewrite every entry of a list page (`{blobs: [...]}`) on its way back, e.g. drop a field. */
  rewriteListedBlob?: (blob: Record<string, unknown>) => Record<string, unknown>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);
const forwardable = (headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) =>
  Object.fromEntries(Object.entries(headers).filter(([k, v]) => v !== undefined && !HOP_BY_HOP.has(k.toLowerCase()))) as Record<
    string,
    string | string[]
  >;

function rewriteList(body: Buffer, rewrite: ProbeOptions['rewriteListedBlob']): Buffer {
  if (!rewrite) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return body;
  }
  const page = parsed as { blobs?: unknown };
  if (!Array.isArray(page.blobs)) return body;
  page.blobs = (page.blobs as Array<Record<string, unknown>>).map(rewrite);
  return Buffer.from(JSON.stringify(page));
}

/**
 * A real HTTP proxy in front of a blobs server (ours or Netlify's BlobsServer). The client under test
 * talks to it; it forwards every request (keeping the Host header, so signed URLs our server hands
 * out point back at the probe) and counts connections and requests in flight.
 */
export async function startProbe(upstream: string, options: ProbeOptions = {}): Promise<Probe> {
  const agent = new Agent();
  let connections = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const requests: Probe['requests'] = [];
  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/' });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        const up = await request(new URL(req.url ?? '/', upstream), {
          dispatcher: agent,
          method: (req.method ?? 'GET') as 'GET',
          headers: forwardable(req.headers),
          body,
        });
        const payload = rewriteList(Buffer.from(await up.body.arrayBuffer()), options.rewriteListedBlob);
        inFlight--;
        res.writeHead(up.statusCode, { ...forwardable(up.headers), 'content-length': payload.length });
        res.end(req.method === 'HEAD' ? undefined : payload);
      })().catch(() => {
        inFlight--;
        res.writeHead(502).end();
      });
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await agent.close();
    },
  };
}
