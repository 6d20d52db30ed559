import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../commands/index.js';
import { runCli, scratchDir } from '../helpers/cli.js';

const ANSI = /\u001b\[/;

function allCommands(cmd: Command, path: string[] = []): Array<{ path: string; cmd: Command }> {
  return cmd.commands.flatMap((c) => [{ path: [...path, c.name()].join(' '), cmd: c }, ...allCommands(c, [...path, c.name()])]);
}

function helpText(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.exitOverride();
  try {
    cmd.outputHelp();
  } catch {
    /* exitOverride */
  }
  return text;
}

describe('CLI conventions', () => {
  it('every command and subcommand has a description and an example in --help', async () => {
    const program = await buildProgram();
    const commands = allCommands(program);
    expect(commands.length).toBeGreaterThanOrEqual(4);
    for (const { path, cmd } of commands) {
      expect(cmd.description(), `${path} description`).not.toBe('');
      expect(helpText(cmd), `${path} --help has Examples`).toMatch(/Examples:\n\s+\$ veloready /);
    }
  });

  it('--help exits 0 and lists the commands', async () => {
    const r = await runCli(['--help'], { cwd: scratchDir() });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('token');
    expect(r.stdout).toContain('config');
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version'], { cwd: scratchDir() });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('an unknown command is bad usage: exit 2, one error line and a hint', async () => {
    const r = await runCli(['frobnicate'], { cwd: scratchDir() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown command 'frobnicate'/);
    expect(r.stderr).toContain('hint: see: veloready --help');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an invalid option value is bad usage (exit 2) naming the option', async () => {
    const r = await runCli(['token', 'mint', '--athlete', '1', '--ttl', 'soon'], { cwd: scratchDir() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("'--ttl <duration>'");
    expect(r.stderr).toContain('see: veloready token mint --help');
  });

  it('with --json, errors are one JSON object on stdout', async () => {
    const r = await runCli(['--json', 'token', 'verify', 'not-a-token'], { cwd: scratchDir() });
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'JWT_MALFORMED', message: expect.any(String) } });
  });

  it('colours errors only when allowed: NO_COLOR and --no-color turn them off', async () => {
    const cwd = scratchDir();
    const forced = await runCli(['token', 'verify', 'x.y'], { cwd, env: { FORCE_COLOR: '1' } });
    expect(forced.stderr).toMatch(ANSI);
    const noColor = await runCli(['token', 'verify', 'x.y'], { cwd, env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(noColor.stderr).not.toMatch(ANSI);
    const flag = await runCli(['--no-color', 'token', 'verify', 'x.y'], { cwd, env: { FORCE_COLOR: '1' } });
    expect(flag.stderr).not.toMatch(ANSI);
  });

  it('--verbose shows a stack trace for unexpected failures only on request', async () => {
    const cwd = scratchDir();
    writeFileSync(join(cwd, '.veloready'), 'a file where the data dir should be');
    const quiet = await runCli(['token', 'mint', '--athlete', '1'], { cwd });
    expect(quiet.exitCode).toBe(1);
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    const verbose = await runCli(['--verbose', 'token', 'mint', '--athlete', '1'], { cwd });
    expect(verbose.exitCode).toBe(1);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });
});

describe('veloready config', () => {
  const SECRET = 'super-secret-jwt-value-that-is-long-enough';
  const PASSWORD = 'hunter2-db-password';
  const TOKEN = 'nfp_netlify_token_value_123';

  it('resolves flags > env > .env > defaults and says where each came from', async () => {
    const cwd = scratchDir();
    writeFileSync(join(cwd, '.env'), `VELOREADY_API_URL=http://from-dotenv:1\nNETLIFY_SITE_ID=site-from-dotenv\nVELOREADY_DATA_DIR=from-dotenv\n`);
    const r = await runCli(['--json', '--data-dir', 'from-flag', 'config'], {
      cwd,
      env: { VELOREADY_API_URL: 'http://from-env:2', VELOREADY_DATA_DIR: 'from-env' },
    });
    expect(r.exitCode).toBe(0);
    const settings = Object.fromEntries(
      (JSON.parse(r.stdout).settings as Array<{ key: string; value: string; source: string }>).map((s) => [s.key, s]),
    );
    expect(settings.dataDir).toMatchObject({ value: 'from-flag', source: 'flag' });
    expect(settings.apiUrl).toMatchObject({ value: 'http://from-env:2', source: 'env' });
    expect(settings.netlifySiteId).toMatchObject({ value: 'site-from-dotenv', source: '.env' });
    expect(settings.openaiBaseUrl).toMatchObject({ source: 'default' });
  });

  it('redacts secrets, tokens and passwords inside URLs, in text and JSON', async () => {
    const cwd = scratchDir();
    writeFileSync(join(cwd, '.env'), `NETLIFY_AUTH_TOKEN=${TOKEN}\n`);
    const env = {
      SUPABASE_JWT_SECRET: SECRET,
      DATABASE_URL: `postgres://admin:${PASSWORD}@db.example.com:5432/app`,
      SUPABASE_SERVICE_ROLE_KEY: 'service-role-key-value',
      OPENAI_API_KEY: 'sk-openai-key-value',
      VELOREADY_API_URL: 'https://ops:site-basic-auth-password@veloready.example.com',
      SUPABASE_URL: 'https://abc.supabase.co/?apikey=url-api-key-value',
    };
    for (const args of [['config'], ['--json', 'config']]) {
      const r = await runCli(args, { cwd, env });
      expect(r.exitCode).toBe(0);
      const all = r.stdout + r.stderr;
      expect(all).toContain('https://ops:****@veloready.example.com');
      for (const secret of [SECRET, PASSWORD, TOKEN, 'service-role-key-value', 'sk-openai-key-value', 'site-basic-auth-password', 'url-api-key-value']) {
        expect(all).not.toContain(secret);
      }
      expect(all).toContain('postgres://admin:****@db.example.com:5432/app');
    }
  });

  it('a missing --env-file is bad usage', async () => {
    const r = await runCli(['--env-file', 'nope.env', 'config'], { cwd: scratchDir() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('env file nope.env does not exist');
  });

  it('an --env-file that cannot be read is bad usage, not a crash', async () => {
    const cwd = scratchDir();
    const r = await runCli(['--json', '--env-file', '.', 'config'], { cwd });
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('ENV_FILE_UNREADABLE');
  });
});
