import { execa, type ResultPromise } from 'execa';
import { mintAccessToken } from '../../src/auth/jwt.js';
import { systemClock } from '../../src/clock.js';
import { startServe, type RunningServe, type ServeOptions } from '../../src/serve/start.js';
import { BIN, cliEnv } from '../helpers/cli.js';
import { migratedDataDir } from '../helpers/db.js';
import { removeTree } from '../helpers/fs-tree.js';

export const TEST_SECRET = 'serve-test-jwt-secret-0123456789abcdef';

export interface TestServe extends RunningServe {
  dataDir: string;
  tokenFor(athleteId: number, role?: 'authenticated' | 'service_role'): string;
  stop(): Promise<void>;
}

/** serve on port 0 over a copy of the migrated template (first-run seeding still happens). */
export async function startTestServe(opts: Partial<ServeOptions> = {}): Promise<TestServe> {
  const dataDir = opts.dataDir ?? (await migratedDataDir());
  const serve = await startServe({ dataDir, port: 0, pgPort: 0, jwtSecret: TEST_SECRET, schedule: false, ...opts });
  return Object.assign(serve, {
    dataDir,
    tokenFor: (athleteId: number, role: 'authenticated' | 'service_role' = 'authenticated') =>
      role === 'service_role'
        ? mintAccessToken({ secret: TEST_SECRET, clock: systemClock, role }).token
        : mintAccessToken({ secret: TEST_SECRET, clock: systemClock, athleteId }).token,
    async stop() {
      await serve.close();
      if (!opts.dataDir) await removeTree(dataDir);
    },
  });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Polls `/api/jobs/:id` as an operator (a service_role token of TEST_SECRET) until the job ends. */
export async function waitForJob(url: string, jobId: string, timeoutMs = 30_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  const operator = bearer(mintAccessToken({ secret: TEST_SECRET, clock: systemClock, role: 'service_role' }).token);
  for (;;) {
    const r = await fetch(`${url}/api/jobs/${jobId}`, { headers: operator });
    const job = (await r.json()) as Record<string, any>;
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

export interface CliServe {
  child: ResultPromise;
  /** Everything it printed so far (stdout and stderr). */
  out(): string;
}

/**
 * Starts `veloready serve` as a user would (port 0, Postgres socket on any free port, no dashboard)
 * and collects its output until `until` matches. `env` adds to a clean user environment.
 */
export async function serveUntil(cwd: string, args: string[], until: RegExp, env: Record<string, string> = {}): Promise<CliServe> {
  const child = execa('node', ['--', BIN, 'serve', '--port', '0', '--pg-port', '0', '--no-ui', ...args], {
    cwd,
    reject: false,
    all: true,
    extendEnv: false,
    env: cliEnv({ NO_COLOR: '1', ...env }),
  });
  let out = '';
  child.all!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 90_000;
  while (!until.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not get ready:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, out: () => out };
}

export const READY_LINE = /"type":"ready".*\n/;

/** `serve --json`: its `{"type":"ready",...}` line (url, demoToken, database, pgPort...). */
export function readyOf(serve: CliServe): Record<string, any> {
  return JSON.parse(serve.out().split('\n').find((l) => l.includes('"type":"ready"'))!);
}

/** Ctrl-C, then the exit code (0 after a graceful stop). */
export async function stopCli(serve: CliServe): Promise<number | undefined> {
  serve.child.kill('SIGINT');
  return (await serve.child).exitCode;
}
