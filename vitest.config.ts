import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    pool: 'forks',
    // Two cores: more workers only add contention for PGlite's WASM and the servers. A test file
    // runs PGlite for seconds, not minutes: V8's optimising WebAssembly tier (TurboFan) costs more
    // CPU than it saves there, about half of the suite's PGlite time (test/functions: 70 -> 41 s
    // of CPU). Only the compiler tier changes, not what the code does.
    poolOptions: { forks: { maxForks: 2, minForks: 1, execArgv: ['--liftoff-only'] } },
    // A worker process runs file after file instead of one process per file: the module graph
    // (src/ through vite-node) and PGlite's compiled WebAssembly are loaded once per worker, not
    // per file (test/serve + test/emulator: 156 -> 99 s of CPU). A test file must therefore
    // leave the process as it found it: restore process.env, close the servers and databases it
    // opens. The umask and exit code are reset before each file.
    isolate: false,
    setupFiles: ['test/helpers/fresh-process.ts'],
    testTimeout: 30_000,
    // CI runs the whole suite three times (Node 20, 22, 24) on a shared 2-core machine, where an
    // end-to-end test's time bound is occasionally overrun: one retry there; a failure that
    // repeats still fails the run. Locally a failure is reported at once.
    retry: process.env.CI ? 1 : 0,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
