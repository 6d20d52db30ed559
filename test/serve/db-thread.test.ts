import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/emulator/request-log.js';
import { bearer, startTestServe, type TestServe } from './helpers.js';

/**
 * Issue 15 §7: the embedded database runs on its own thread, so a Postgres socket client's long
 * query or open transaction cannot freeze serve. Bounds are generous (a loaded CI machine) but
 * far below what a frozen serve would take: the length of the socket client's pg_sleep.
 */
const SYNC_TIMEOUT_MS = 2_000;
/** An answer this fast was not waiting for a multi-second pg_sleep. */
const FAST_MS = 1_000;
const IDLE_IN_TRANSACTION_MS = 600;

let serve: TestServe;
let logged: LogEntry[] = [];
beforeAll(async () => {
  serve = await startTestServe({ syncTimeoutMs: SYNC_TIMEOUT_MS, idleInTransactionMs: IDLE_IN_TRANSACTION_MS });
  serve.log.subscribe((e) => logged.push(e));
  // Warm the activities cache (the first, cold MISS may be slow on a busy machine).
  for (let i = 0; i < 5 && (await activities()).headers.get('x-cache') !== 'HIT'; i++);
}, 120_000);
afterAll(async () => serve?.stop());

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${serve.pgPort}/postgres` });
  c.on('error', () => undefined); // a cut connection is expected in some tests
  await c.connect();
  return c;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const timed = async <T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const t = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t };
};
const activities = (headers: Record<string, string> = {}) => fetch(`${serve.url}/api/activities?limit=5`, { headers: { ...bearer(serve.demo.token), ...headers } });

describe('serve while a Postgres socket client holds the embedded database', () => {
  it('a socket client running pg_sleep does not stop cached hits, blobs or the fake Strava', async () => {
    const c = await client();
    const sleeping = c.query('select pg_sleep(4)');
    await sleep(200); // the statement is running on the database's thread
    const hit = await timed(() => activities());
    expect(hit.value.headers.get('x-cache')).toBe('HIT');
    expect(hit.ms).toBeLessThan(FAST_MS);
    const strava = await timed(() => fetch(`${serve.url}/strava/_fake/state`));
    expect(strava.value.status).toBe(200);
    expect(strava.ms).toBeLessThan(FAST_MS);
    await sleeping;
    await c.end();
  });

  it("a function whose query waits behind a socket client's statement gets its 504 at the sync timeout, saying why, while hits still answer", async () => {
    const c = await client();
    const sleeping = c.query('select pg_sleep(6)');
    await sleep(200);
    const refreshing = timed(() => activities({ 'cache-control': 'no-cache' }));
    await sleep(300);
    const hit = await timed(() => activities());
    expect(hit.value.headers.get('x-cache')).toBe('HIT');
    expect(hit.ms).toBeLessThan(FAST_MS);
    const slow = await refreshing;
    expect(slow.value.status).toBe(504);
    expect(slow.ms).toBeGreaterThanOrEqual(SYNC_TIMEOUT_MS - 50);
    expect(slow.ms).toBeLessThan(SYNC_TIMEOUT_MS + FAST_MS); // not when the pg_sleep ends
    const body = (await slow.value.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('FUNCTION_TIMEOUT');
    expect(body.error.message).toMatch(/busy with a Postgres socket client's statement .*select pg_sleep\(6\)/);
    await sleeping;
    await c.end();
  });

  it('a socket client idle inside a transaction is rolled back, disconnected and logged after the timeout; serve then answers', async () => {
    const c = await client();
    let ended: Error | undefined;
    c.on('error', (err) => (ended = err));
    await c.query('begin');
    await c.query(`update public.athletes set firstname = 'held' where id = (select min(id) from public.athletes)`);
    // Meanwhile serve's own query waits for the open transaction...
    const waiting = timed(() => serve.sql.query<{ n: number }>(`select count(*)::int as n from public.athletes where firstname = 'held'`));
    await sleep(IDLE_IN_TRANSACTION_MS + 400);
    // ...until the client is cut: its update rolled back, never seen.
    const served = await waiting;
    expect(served.value.rows[0]!.n).toBe(0);
    expect(served.ms).toBeLessThan(IDLE_IN_TRANSACTION_MS + FAST_MS);
    expect(ended?.message).toMatch(/idle-in-transaction timeout|terminat|Connection terminated/);
    await expect(c.query('select 1')).rejects.toThrow();
    expect(logged.some((e) => e.type === 'error' && /DB_IDLE_IN_TRANSACTION|idle inside a transaction/.test(e.message))).toBe(true);
  });

  it('statement_timeout is honoured: the statement is stopped near its timeout, and serve and new clients carry on', async () => {
    const c = await client();
    const stopped = timed(() => c.query(`set statement_timeout = 400; select pg_sleep(10)`).then(() => 'finished', (err: Error) => err.message));
    const outcome = await stopped;
    expect(outcome.value).not.toBe('finished');
    expect(outcome.ms).toBeLessThan(5_000); // the pg_sleep asked for 10 s
    expect(logged.some((e) => e.type === 'error' && /statement_timeout/.test(e.message))).toBe(true);
    const { rows } = await serve.sql.query<{ n: number }>('select 1 as n');
    expect(rows[0]!.n).toBe(1);
    const again = await client();
    expect((await again.query('select 2 as n')).rows[0].n).toBe(2);
    await again.end();
    expect((await activities()).headers.get('x-cache')).toBe('HIT');
  });
});
