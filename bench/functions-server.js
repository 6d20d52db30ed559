// One server for bench/functions.js: `builtin` (the function as a built-in handler in serve's
// emulator), `project` (the same function as a project file, through the worker pool) or `bare`
// (node:http answering the same bytes). Prints its URL on stdout.
import { createServer } from 'node:http';
import { BODY, BODY_HEADERS } from './functions-body.js';

const [mode, siteDir] = process.argv.slice(2);
const { createEmulator } = await import('../dist/src/emulator/server.js');
const { createRequestLog } = await import('../dist/src/emulator/request-log.js');
const { createFunctionRegistry } = await import('../dist/src/emulator/functions.js');
const { createProjectRuntime } = await import('../dist/src/runtime/project.js');
const { systemClock } = await import('../dist/src/clock.js');

if (mode === 'bare') {
  const server = createServer((req, res) => {
    res.writeHead(200, { ...BODY_HEADERS, 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
  server.listen(0, '127.0.0.1', () => console.log(`READY http://127.0.0.1:${server.address().port}`));
} else {
  const log = createRequestLog({ keepRecent: 0 });
  let functions;
  let project;
  if (mode === 'builtin') {
    functions = createFunctionRegistry([{ name: 'static16k', kind: 'sync', handler: async () => ({ statusCode: 200, headers: BODY_HEADERS, body: BODY }) }]);
  } else {
    project = await createProjectRuntime({ projectDir: siteDir, builtins: [], clock: systemClock, log });
    functions = project.functions;
  }
  const emulator = createEmulator({ functions, log, ...(project ? { redirects: project.router } : {}) });
  const { url } = await emulator.listen(0, '127.0.0.1');
  project?.connect({
    env: {},
    blobs: { url, token: 't', siteID: 'bench', deployID: '0' },
    site: { id: 'bench', name: 'bench', url },
    outbound: { rewrites: {}, online: false },
  });
  await project?.warmed();
  console.log(`READY ${url}`);
}
