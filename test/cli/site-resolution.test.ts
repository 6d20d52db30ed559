import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeJwt } from '../../src/auth/jwt.js';
import { writeServeInfo } from '../../src/serve/serve-info.js';
import { runCli, scratchDir } from '../helpers/cli.js';

const SERVE_URL = 'http://127.0.0.1:18101';
const FROM_SERVE = '(the running serve of .veloready)';

/** A folder whose data dir records a live serve (this test process) on another port than 8888. */
function folderWithServe(): string {
  const cwd = scratchDir('vr-site-');
  writeServeInfo(join(cwd, '.veloready'), { pid: process.pid, url: SERVE_URL, startedAt: new Date().toISOString(), database: 'embedded PGlite' });
  return cwd;
}

const decodeContext = (stdout: string) => JSON.parse(Buffer.from(/NETLIFY_BLOBS_CONTEXT=(\S+)/.exec(stdout)![1]!, 'base64').toString('utf8')) as { edgeURL: string };

describe('every command finds serve the same way: --url > VELOREADY_API_URL > the running serve > 8888', () => {
  it('config shows the running serve as apiUrl and says where it came from', async () => {
    const cwd = folderWithServe();
    const r = await runCli(['--json', 'config'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    const api = (JSON.parse(r.stdout).settings as Array<{ key: string; value: string; from?: string }>).find((s) => s.key === 'apiUrl')!;
    expect(api.value).toBe(SERVE_URL);
    expect(api.from).toBe('the running serve of .veloready');
    const plain = await runCli(['config'], { cwd });
    expect(plain.stdout).toMatch(new RegExp(`apiUrl\\s+VELOREADY_API_URL\\s+${SERVE_URL}\\s+default \\(the running serve of \\.veloready\\)`));
  });

  it('keys --env writes the running serve as SUPABASE_URL, and says so on stderr', async () => {
    const cwd = folderWithServe();
    const r = await runCli(['keys', '--env'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`SUPABASE_URL=${SERVE_URL}\n`);
    expect(r.stderr).toContain(`target: ${SERVE_URL} ${FROM_SERVE}`);
  });

  it('blobs context points @netlify/blobs at the running serve', async () => {
    const cwd = folderWithServe();
    const r = await runCli(['blobs', 'context'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(decodeContext(r.stdout).edgeURL).toBe(SERVE_URL);
    expect(r.stderr).toContain(`target: ${SERVE_URL} ${FROM_SERVE}`);
  });

  it("token mint names the running serve as the token's issuer", async () => {
    const cwd = folderWithServe();
    const r = await runCli(['token', 'mint', '--athlete', '104662'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(decodeJwt(r.stdout.trim()).claims.iss).toBe(`${SERVE_URL}/auth/v1`);
    expect(r.stderr).toContain(`iss: ${SERVE_URL}/auth/v1 ${FROM_SERVE}`);
  });

  it('VELOREADY_API_URL beats the running serve and --url beats both, for each of them', async () => {
    const cwd = folderWithServe();
    const env = { VELOREADY_API_URL: 'https://env.example.org' };
    const keys = await runCli(['keys', '--env'], { cwd, env });
    expect(keys.stdout).toContain('SUPABASE_URL=https://env.example.org\n');
    expect(keys.stderr).toContain('(VELOREADY_API_URL)');
    const mint = await runCli(['token', 'mint', '--athlete', '1', '--url', 'https://flag.example.org'], { cwd, env });
    expect(decodeJwt(mint.stdout.trim()).claims.iss).toBe('https://flag.example.org/auth/v1');
    const ctx = await runCli(['blobs', 'context', '--url', 'https://flag.example.org'], { cwd, env });
    expect(decodeContext(ctx.stdout).edgeURL).toBe('https://flag.example.org');
    const config = await runCli(['--json', 'config'], { cwd, env });
    expect((JSON.parse(config.stdout).settings as Array<{ key: string; value: string }>).find((s) => s.key === 'apiUrl')!.value).toBe('https://env.example.org');
  });

  it('without a running serve: 8888, said as the default', async () => {
    const cwd = scratchDir('vr-site-');
    const r = await runCli(['blobs', 'context'], { cwd });
    expect(decodeContext(r.stdout).edgeURL).toBe('http://127.0.0.1:8888');
    expect(r.stderr).toContain('target: http://127.0.0.1:8888 (default; no serve running for .veloready)');
  });
});
