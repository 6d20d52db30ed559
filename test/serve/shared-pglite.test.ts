import pg from 'pg';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedPglite, statementTimeoutAfter } from '../../src/serve/shared-pglite.js';
import type { PgliteSql } from '../../src/db/pglite.js';
import { migratedPglite } from '../helpers/db.js';

let base: PgliteSql;
let shared: SharedPglite;
let socket: PGLiteSocketServer;
let url: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  base = await migratedPglite();
  shared = new SharedPglite(base);
  socket = new PGLiteSocketServer({ db: shared.socketGate(), port: 0, host: '127.0.0.1', maxConnections: 8 });
  await socket.start();
  url = `postgres://postgres@${socket.getServerConn()}/postgres`;
  await base.exec(`create table public.t (n int); alter table public.t enable row level security;`);
});
afterAll(async () => {
  await socket.stop();
  await base.close();
});

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

describe('serve\'s embedded database shared with the Postgres socket', () => {
  it('a socket query waits for serve\'s open transaction and never runs inside it', async () => {
    const sql = shared.sql();
    const c = await client();
    let socketSaw: number | undefined;
    let during: Promise<unknown> | undefined;
    await sql.transaction(async (q) => {
      await q.query('insert into public.t values (1)');
      during = c.query('select count(*)::int as n from public.t').then((r) => (socketSaw = r.rows[0].n));
      await sleep(150);
      expect(socketSaw).toBeUndefined(); // still waiting for our transaction
      await q.query('insert into public.t values (2)');
    });
    await during;
    expect(socketSaw).toBe(2); // saw the committed result, after the transaction
    await c.end();
  });

  it('serve\'s queries wait while a socket client holds a transaction, and see only its commit', async () => {
    const sql = shared.sql();
    const c = await client();
    await c.query('begin');
    await c.query('insert into public.t values (10)');
    let served: number | undefined;
    const read = sql.query<{ n: number }>('select count(*)::int as n from public.t where n = 10').then((r) => (served = r.rows[0]!.n));
    await sleep(150);
    expect(served).toBeUndefined();
    await c.query('commit');
    await read;
    expect(served).toBe(1);
    await c.end();
  });

  it('a client that disconnects mid-transaction is rolled back and releases the backend', async () => {
    const c = await client();
    await c.query('begin');
    await c.query('insert into public.t values (99)');
    await c.end();
    const { rows } = await shared.sql().query<{ n: number }>('select count(*)::int as n from public.t where n = 99');
    expect(rows[0]!.n).toBe(0);
  });

  it("a client that leaves while its last message waits for serve's transaction does not keep the backend", async () => {
    const c = await client();
    let ending: Promise<void> | undefined;
    await shared.sql().transaction(async (q) => {
      await q.query('insert into public.t values (7)');
      ending = c.end(); // its Terminate now waits for this transaction
      await sleep(100);
    });
    await ending;
    const served = await Promise.race([
      shared.sql().query<{ n: number }>('select count(*)::int as n from public.t where n = 7'),
      sleep(3000).then(() => 'still held by the client that left' as const),
    ]);
    expect(served).toMatchObject({ rows: [{ n: 1 }] });
  });

  it('several socket clients with parameterized queries interleave safely with serve\'s own', async () => {
    const clients = await Promise.all([client(), client(), client()]);
    // One query at a time per client (pg deprecates overlapping queries on one client); the
    // clients themselves run side by side.
    const work = clients.map(async (c, i) => {
      for (let j = 0; j < 20; j++) expect((await c.query('select $1::int + $2::int as s', [i, j])).rows[0].s).toBe(i + j);
    });
    const mine = Array.from({ length: 20 }, (_, j) => shared.sql().query<{ s: number }>('select $1::int * 2 as s', [j]).then((r) => expect(r.rows[0]!.s).toBe(j * 2)));
    await Promise.all([...work, ...mine]);
    await Promise.all(clients.map((c) => c.end()));
  });

  it('a socket message PGlite fails to run (not a SQL error) gives the backend back to serve', async () => {
    // The same PGlite, but running any message that mentions boom_throw throws instead of answering.
    const real = base.pglite;
    const failing = new Proxy(real, {
      get(target, prop) {
        if (prop === 'execProtocolRawStream') {
          return (message: Uint8Array, options: unknown) =>
            Buffer.from(message).includes('boom_throw')
              ? Promise.reject(new Error('simulated PGlite failure'))
              : target.execProtocolRawStream(message, options as never);
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const gated = new SharedPglite({ ...base, pglite: failing } as PgliteSql);
    const server = new PGLiteSocketServer({ db: gated.socketGate(), port: 0, host: '127.0.0.1', maxConnections: 2 });
    await server.start();
    try {
      const connect = async () => {
        const c = new pg.Client({ connectionString: `postgres://postgres@${server.getServerConn()}/postgres` });
        c.on('error', () => undefined);
        await c.connect();
        return c;
      };
      const [c, other] = [await connect(), await connect()];
      await other.query('select 1'); // the last message pglite-socket saw finish is not c's
      await expect(c.query("select 'boom_throw'")).rejects.toThrow();
      await c.end().catch(() => undefined);
      const served = await Promise.race([
        shared.sql().query<{ n: number }>('select count(*)::int as n from public.t'),
        sleep(3000).then(() => 'still waiting for the socket client' as const),
      ]);
      await other.end().catch(() => undefined);
      expect(served).toMatchObject({ rows: [{ n: expect.any(Number) }] });
    } finally {
      await server.stop();
    }
  });
});

describe('statementTimeoutAfter', () => {
  it('follows SET, set_config and RESET of statement_timeout in the units Postgres accepts', () => {
    expect(statementTimeoutAfter('SET statement_timeout = 200; select pg_sleep(1)', 0)).toBe(200);
    expect(statementTimeoutAfter("set statement_timeout to '2s'", 0)).toBe(2000);
    expect(statementTimeoutAfter("select set_config('statement_timeout', '1min', false)", 0)).toBe(60_000);
    expect(statementTimeoutAfter('RESET statement_timeout', 5000)).toBe(0);
    expect(statementTimeoutAfter('discard all', 5000)).toBe(0);
    expect(statementTimeoutAfter('select 1', 5000)).toBe(5000);
  });
});
