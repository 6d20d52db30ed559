import { setFlagsFromString } from 'node:v8';

/**
 * V8 compiles PGlite's WebAssembly with its baseline compiler (Liftoff) only. Its optimising tier
 * (TurboFan) compiles hot functions again on background threads: CPU that pays back only after
 * many seconds of steady database work, and on a 2-core machine is taken from the command itself.
 * Measured with Node 20 on one: `db status` 2.0 -> 1.25 s of CPU (bench/embedded-command.js); a
 * first `serve` ready with half the CPU (1.9 -> 1.4 s idle, ~5 -> ~2.5 s under load) and no
 * fewer cache-miss requests answered after; a `seed` of 400 athletes x 365 days is ~15% slower.
 * Call it before the first module is compiled; what is already compiled stays as it is.
 */
export function preferBaselineWasm(): void {
  // Set at run time, --liftoff-only alone does not stop tiering up on Node 24 (V8 13 applies a
  // flag's implications only on the command line): the tiering flags say it themselves. There
  // `db status` took 3.5 s of CPU with --liftoff-only alone, 1.0 s with all three.
  setFlagsFromString('--liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering');
}
