/**
 * Run before every test file (vitest setupFiles). Files share a worker process (isolate: false),
 * so each starts from the process state a process of its own would have had: serve and the
 * commands set the umask to 077 (src/config/private-dir.ts), and left in place it would let a
 * later file's "written 0600" check pass without the code that makes it so; an exit code set by
 * a command run in-process would be read by the next one.
 */
const state = globalThis as { veloreadyStartUmask?: number };
// process.umask() without an argument is deprecated: read it by setting it.
state.veloreadyStartUmask ??= process.umask(0o022);
process.umask(state.veloreadyStartUmask);
process.exitCode = undefined;
