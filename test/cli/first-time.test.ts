import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, scratchDir } from '../helpers/cli.js';
import { migratedDataDir } from '../helpers/db.js';
import { serveUntil, stopCli } from '../serve/helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

const oneLine = (stderr: string) => stderr.trim().split('\n').filter((l) => !l.startsWith('hint:') && !l.startsWith('starting:'));

describe('serve refuses bad flags before it touches the folder', () => {
  it('--strava-url notaurl: exit 2 INVALID_STRAVA_URL, nothing created', async () => {
    const cwd = scratchDir('vr-first-');
    const r = await runCli(['--json', 'serve', '--strava-url', 'notaurl', '--port', '0', '--pg-port', '0', '--no-ui'], { cwd });
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('INVALID_STRAVA_URL');
    expect(existsSync(join(cwd, '.veloready', 'pg'))).toBe(false);
  });

  it('--db-url http://…: exit 2, "not a postgres:// URL"', async () => {
    const r = await runCli(['serve', '--db-url', 'http://127.0.0.1:8888', '--port', '0', '--no-ui'], { cwd: scratchDir('vr-first-') });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: --db-url is not a postgres:// URL');
  });

  it.skipIf(!process.env.DATABASE_URL)('--db-url naming a database that does not exist: DB_CONNECT with what to check', async () => {
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = '/veloready_no_such_db_16';
    const r = await runCli(['--json', 'serve', '--db-url', url.toString(), '--port', '0', '--no-ui'], { cwd: scratchDir('vr-first-') });
    expect(r.exitCode).toBe(1);
    const { error } = JSON.parse(r.stdout);
    expect(error.code).toBe('DB_CONNECT');
    expect(error.message).toContain('veloready_no_such_db_16');
    expect(error.hint).toContain('--db-url');
  });

  it('--port that is taken, in a new folder: said at once, before migrating or seeding', async () => {
    const held = await holdPort();
    try {
      const cwd = scratchDir('vr-first-');
      const r = await runCli(['serve', '--port', String(held.port), '--pg-port', '0', '--no-ui'], { cwd });
      expect(r.exitCode).toBe(1);
      expect(oneLine(r.stderr)).toEqual([`error: port ${held.port} on 127.0.0.1 is already in use`]);
      // Said before the embedded database was created (which alone takes seconds), let alone seeded.
      expect(existsSync(join(cwd, '.veloready', 'pg'))).toBe(false);
    } finally {
      held.server.close();
    }
  });
});

describe('exit codes', () => {
  it('blobs serve --port 99999 is bad usage (2) with our one line', async () => {
    const r = await runCli(['blobs', 'serve', '--port', '99999'], { cwd: scratchDir('vr-first-') });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: option '--port <port>' argument '99999' is invalid\. expected a port number from 0 to 65535\./);
  });

  it('cache purge --all without --yes when stdin is not a terminal is bad usage (2)', async () => {
    const dataDir = await migratedDataDir();
    dirs.push(dataDir);
    writeFileSync(join(dataDir, 'blobs.sqlite'), '');
    const r = await runCli(['--data-dir', dataDir, 'cache', 'purge', '--all'], { cwd: scratchDir('vr-first-'), stdin: 'ignore' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--all deletes every entry in the store');
  });
});

describe('seed refuses to mix seeds', () => {
  it('seed --seed 8 on a database seeded with --seed 7: exit 2, says to --reset; --reset then works', async () => {
    const dataDir = await migratedDataDir();
    dirs.push(dataDir);
    const cwd = scratchDir('vr-first-');
    const base = ['--data-dir', dataDir, 'seed', '--athletes', '1', '--days', '3'];
    expect((await runCli([...base, '--seed', '7'], { cwd })).exitCode).toBe(0);
    const mixed = await runCli([...base, '--seed', '8'], { cwd });
    expect(mixed.exitCode).toBe(2);
    expect(mixed.stderr).toContain('error: the database holds data seeded with --seed 7; --seed 8 would mix the two');
    expect(mixed.stderr).toContain('hint: add --reset');
    const again = await runCli([...base, '--seed', '7'], { cwd });
    expect(again.exitCode, again.stderr).toBe(0);
    const reset = await runCli(['--json', ...base, '--seed', '8', '--reset'], { cwd });
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout).seed).toBe('8');
  }, 180_000);
});

describe('what serve prints works with the project\'s own netlify.toml', () => {
  it('the try-curl line answers 200 when netlify.toml does not route /api/activities; the consent URL opens the fake Strava page', async () => {
    const dataDir = await migratedDataDir();
    dirs.push(dataDir);
    const cwd = scratchDir('vr-first-');
    writeFileSync(join(cwd, 'netlify.toml'), ['[[redirects]]', 'from = "/v2/activities"', 'to = "/.netlify/functions/api-activities"', 'status = 200', ''].join('\n'));
    const serve = await serveUntil(cwd, ['--data-dir', dataDir], /try\s+curl .*\n/);
    try {
      const text = serve.out();
      const curl = /try\s+curl -H "Authorization: Bearer (\S+)" "(\S+)"/.exec(text)!;
      expect(new URL(curl[2]!).pathname).toBe('/v2/activities');
      const r = await fetch(curl[2]!, { headers: { authorization: `Bearer ${curl[1]}` } });
      expect(r.status).toBe(200);
      await r.arrayBuffer();

      expect(text).toMatch(/strava\s+\S+ \(fake; client_id 12345\)/);
      const consent = /connect\s+(\S+)/.exec(text)![1]!;
      const page = await fetch(consent);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<form');
      expect(new URL(consent).searchParams.get('redirect_uri')).toMatch(/\/\.netlify\/functions\/oauth-strava-token-exchange$/);

      // The documented default webhook verify token answers Strava's subscription check.
      const hub = await fetch(`${new URL(curl[2]!).origin}/.netlify/functions/strava-webhook?hub.mode=subscribe&hub.verify_token=veloready-local&hub.challenge=c16`);
      expect(await hub.json()).toEqual({ 'hub.challenge': 'c16' });
    } finally {
      expect(await stopCli(serve)).toBe(0);
    }
  }, 120_000);
});
