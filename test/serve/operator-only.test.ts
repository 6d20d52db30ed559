import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAccessToken } from '../../src/auth/jwt.js';
import { systemClock } from '../../src/clock.js';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { runCli } from '../helpers/cli.js';
import { bearer, startTestServe, TEST_SECRET, type TestServe } from './helpers.js';

/** Scheduled functions over HTTP and job records: operators (and a job's own user) only. */
describe('operator-only routes of serve', () => {
  let serve: TestServe;
  beforeAll(async () => {
    serve = await startTestServe();
  }, 120_000);
  afterAll(async () => serve?.stop());

  const operator = () => serve.tokenFor(0, 'service_role');
  const post = (name: string, headers: Record<string, string> = {}) =>
    fetch(`${serve.url}/.netlify/functions/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
  const code = async (r: Response) => ((await r.json()) as { error: { code: string } }).error.code;

  it.each(['nightly-reconcile', 'cleanup'])('POST %s: 401 without a token or with a forged one, 403 for an athlete, 200 for an operator; nothing runs when refused', async (name) => {
    const reads = serve.fakeStrava!.usage().overall[1];
    const none = await post(name);
    expect(none.status).toBe(401);
    expect(await code(none)).toBe('AUTH_REQUIRED');
    const forged = mintAccessToken({ secret: 'not-the-secret-0123456789abcdef0123', clock: systemClock, role: 'service_role' }).token;
    const bad = await post(name, bearer(forged));
    expect(bad.status).toBe(401);
    expect(await code(bad)).toBe('JWT_BAD_SIGNATURE');
    const athlete = await post(name, bearer(serve.tokenFor(DEMO_ATHLETE_ID)));
    expect(athlete.status).toBe(403);
    expect(await code(athlete)).toBe('OPERATOR_ONLY');
    expect(serve.fakeStrava!.usage().overall[1]).toBe(reads);
    const ok = await post(name, bearer(operator()));
    expect(ok.status).toBe(200);
  });

  it('/api/jobs/:id answers the job\'s own athlete and operators; another athlete gets 404, no token 401', async () => {
    const own = serve.tokenFor(DEMO_ATHLETE_ID);
    const started = await post('backfill-background', bearer(own));
    expect(started.status).toBe(202);
    const jobId = started.headers.get('x-job-id')!;
    const read = (headers: Record<string, string> = {}) => fetch(`${serve.url}/api/jobs/${jobId}`, { headers });
    expect((await read()).status).toBe(401);
    const stranger = await read(bearer(serve.tokenFor(1_000_001)));
    expect(stranger.status).toBe(404);
    expect(await code(stranger)).toBe('JOB_NOT_FOUND');
    expect((await read(bearer(own))).status).toBe(200);
    expect((await read(bearer(operator()))).status).toBe(200);

    // The backfill job row (reached by its own id through the database lookup) follows the same rule.
    let rowId: string | undefined;
    for (let i = 0; i < 200 && !rowId; i++) {
      const job = (await (await read(bearer(own))).json()) as { progress?: { backfill_job_id?: string } };
      rowId = job.progress?.backfill_job_id;
      if (!rowId) await new Promise((r) => setTimeout(r, 50));
    }
    expect(rowId).toBeDefined();
    const row = (headers: Record<string, string>) => fetch(`${serve.url}/api/jobs/${rowId}`, { headers });
    expect((await row(bearer(own))).status).toBe(200);
    expect((await row(bearer(serve.tokenFor(1_000_001)))).status).toBe(404);
    expect((await row(bearer(operator()))).status).toBe(200);
  });

  it('trigger checks --token and --secret: an athlete token or a malformed one is bad usage (2); a wrong secret is the site\'s refusal (1)', async () => {
    const site = ['--url', serve.url];
    const athlete = await runCli(['trigger', 'cleanup', ...site, '--token', serve.tokenFor(DEMO_ATHLETE_ID)]);
    expect(athlete.exitCode).toBe(2);
    expect(athlete.stderr).toContain('--token has role "authenticated"; operator calls need role service_role');
    const junk = await runCli(['trigger', 'cleanup', ...site, '--token', 'not-a-jwt', '--dry-run']);
    expect(junk.exitCode).toBe(2);
    expect(junk.stderr).toContain('--token is not a JWT');
    const mismatch = await runCli(['trigger', 'cleanup', ...site, '--token', operator(), '--secret', 'another-secret-0123456789abcdef0123']);
    expect(mismatch.exitCode).toBe(2);
    expect(mismatch.stderr).toContain('--token does not verify with the JWT secret from flag');
    const wrongSecret = await runCli(['trigger', 'cleanup', ...site, '--secret', 'another-secret-0123456789abcdef0123']);
    expect(wrongSecret.exitCode).toBe(1);
    expect(wrongSecret.stderr).toContain('rejected the operator token (JWT_BAD_SIGNATURE)');
    const ok = await runCli(['trigger', 'cleanup', ...site, '--secret', TEST_SECRET]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    const given = await runCli(['trigger', 'cleanup', ...site, '--token', operator()]);
    expect(given.exitCode, given.stderr).toBe(0);
  }, 60_000);
});
