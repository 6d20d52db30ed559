import { createServer, type AddressInfo } from 'node:net';

const NO_CONTENT = 'HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n';

/**
 * One `fetch` to a throwaway loopback server inside the instance, before the function loads:
 * Node's fetch, the dispatcher's client and its HTTP parser (a WebAssembly module) load and
 * compile now rather than during the function's first request, which would otherwise pay
 * ~50–100 ms for them. Nothing leaves the instance; a failure only leaves that cost where it was.
 */
export async function warmHttpClient(): Promise<void> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(NO_CONTENT));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer();
  } catch {
    /* best effort */
  } finally {
    server.close();
  }
}
