import { execa, type ResultPromise } from 'execa';
import pg from 'pg';
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { mintAccessToken } from '../../src/auth/jwt.js';
import { systemClock } from '../../src/clock.js';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { BIN, cliEnv } from '../helpers/cli.js';
import { migratedDataDir } from '../helpers/db.js';
import { TEST_SECRET } from '../serve/helpers.js';
import { setFakeStravaFaults } from './helpers.js';

interface Ready {
  url: string;
  pgPort: number;
}

/** `veloready serve` as a real child process, so it can be killed with SIGKILL. */
async function startServeProcess(dataDir: string): Promise<{ child: ResultPromise; ready: Ready }> {
  const child = execa('node', ['--', BIN, '--json', '--data-dir', dataDir, 'serve', '--port', '0', '--pg-port', '0', '--no-ui', '--secret', TEST_SECRET], {
    reject: false,
    extendEnv: false,
    env: cliEnv({ NO_COLOR: '1' }),
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${buf}`)), 90_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        if (line.startsWith('{') && line.includes('"ready"')) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as Ready);
        }
      }
    });
    void child.then((r) => reject(new Error(`serve exited ${r.exitCode}: ${r.stderr}`)));
  });
  return { child, ready };
}

async function query<T>(pgPort: number, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${pgPort}/postgres` });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('a backfill survives kill -9 of serve', () => {
  it('restarted serve resumes from the checkpoint: no duplicate, nothing missing, no page fetched twice', async () => {
    const dataDir = await migratedDataDir();
    dirs.push(dataDir);
    const first = await startServeProcess(dataDir);
    const { url, pgPort } = first.ready;
    await query(pgPort, 'delete from public.activities where athlete_id = $1', [DEMO_ATHLETE_ID]);
    await setFakeStravaFaults(url, { latencyMs: 1500 });
    const operator = mintAccessToken({ secret: TEST_SECRET, clock: systemClock, role: 'service_role' }).token;
    const started = await fetch(`${url}/.netlify/functions/backfill-background`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({ athlete_id: DEMO_ATHLETE_ID }),
    });
    expect(started.status).toBe(202);
    const jobId = started.headers.get('x-job-id')!;
    let backfillJobId = '';
    for (let i = 0; ; i++) {
      const job = (await (await fetch(`${url}/api/jobs/${jobId}`, { headers: { authorization: `Bearer ${operator}` } })).json()) as { progress?: { pages_fetched?: number; backfill_job_id?: string } };
      if ((job.progress?.pages_fetched ?? 0) >= 1) {
        backfillJobId = job.progress!.backfill_job_id!;
        break;
      }
      if (i > 400) throw new Error('backfill made no progress');
      await new Promise((r) => setTimeout(r, 25));
    }
    first.child.kill('SIGKILL');
    await first.child;

    const second = await startServeProcess(dataDir);
    try {
      let row: { status: string; pages_fetched: number; activities_upserted: number } | undefined;
      for (let i = 0; i < 600; i++) {
        [row] = await query<typeof row & object>(second.ready.pgPort, 'select status, pages_fetched, activities_upserted from public.backfill_jobs where id = $1', [backfillJobId]);
        if (row && row.status !== 'running' && row.status !== 'queued') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(row?.status).toBe('succeeded');
      const [{ n, distinct }] = await query<{ n: string; distinct: string }>(
        second.ready.pgPort,
        'select count(*)::text as n, count(distinct id)::text as distinct from public.activities where athlete_id = $1',
        [DEMO_ATHLETE_ID],
      );
      const [{ t }] = await query<{ t: string }>(second.ready.pgPort, 'select strava_access_token as t from public.athletes where id = $1', [DEMO_ATHLETE_ID]);
      let expected = 0;
      for (let page = 1; ; page++) {
        const list = (await (await fetch(`${second.ready.url}/strava/api/v3/athlete/activities?per_page=200&page=${page}`, { headers: { authorization: `Bearer ${t}` } })).json()) as unknown[];
        expected += list.length;
        if (list.length < 200) break;
      }
      expect(Number(n)).toBe(expected);
      expect(Number(distinct)).toBe(expected);
      expect(row!.pages_fetched).toBe(Math.floor(expected / 200) + 1);
    } finally {
      second.child.kill('SIGTERM');
      const exit = await second.child;
      expect(exit.exitCode).toBe(0);
    }
  }, 240_000);
});
