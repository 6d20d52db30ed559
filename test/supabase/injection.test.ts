import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATHLETE_A, ATHLETE_B, startHarness, type Harness } from './harness.js';

let h: Harness;
let jwt: string;
beforeAll(async () => {
  h = await startHarness();
  jwt = h.tokenFor(ATHLETE_A);
});
afterAll(async () => {
  await h.close();
});

const HOSTILE = [
  `id"; drop table public.activities; --`,
  `id'; delete from public.activities; --`,
  `id) or (1=1`,
  `id/**/or/**/1=1`,
  `id; select pg_sleep(1)`,
  `id -- comment`,
  `id""`,
  `ıd`,
  `ｉｄ`,
  `id\u0000`,
  `id\u202e`,
  `(select 1)`,
  `pg_catalog.pg_authid`,
  `*,(select rolpassword from pg_authid)`,
];

/** Everything an attack could touch, fingerprinted. */
async function fingerprint(): Promise<string> {
  const q = async (text: string): Promise<unknown[]> => (await h.sql.query(text)).rows;
  return JSON.stringify([
    await q(`select athlete_id, count(*)::int as n, md5(string_agg(name || distance::text, ',' order by id)) as h from public.activities group by athlete_id order by athlete_id`),
    await q(`select id, user_id, firstname from public.athletes order by id`),
    await q(`select count(*)::int as n from auth.users`),
  ]);
}

async function expectClientError(path: string, init: RequestInit = {}): Promise<void> {
  const res = await h.fetch(path, { jwt, ...init });
  const text = await res.text();
  expect(res.status, `${init.method ?? 'GET'} ${path} -> ${text}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${init.method ?? 'GET'} ${path} -> ${text}`).toBeLessThan(500);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['code', 'details', 'hint', 'message']);
}

/** A hostile value either matches no row (200 []) or is refused (4xx, e.g. a NUL byte), never a 5xx. */
async function expectNothingOr4xx(res: Response): Promise<void> {
  const text = await res.text();
  if (res.status === 200) expect(JSON.parse(text)).toEqual([]);
  else expect(res.status, text).toBeGreaterThanOrEqual(400);
  expect(res.status, text).toBeLessThan(500);
}

describe('the REST subset refuses hostile input and changes nothing', () => {
  it('hostile column names in select, filters, order, columns and on_conflict are 4xx', async () => {
    const before = await fingerprint();
    for (const name of HOSTILE) {
      const n = encodeURIComponent(name);
      await expectClientError(`/rest/v1/activities?select=${n}`);
      await expectClientError(`/rest/v1/activities?${n}=eq.1`);
      await expectClientError(`/rest/v1/activities?order=${n}`);
      await expectClientError(`/rest/v1/activities?order=id.${n}`);
      await expectClientError(`/rest/v1/activities?columns=${n}`, { method: 'POST', body: '{"id": 1}' });
      await expectClientError(`/rest/v1/activities?on_conflict=${n}`, {
        method: 'POST',
        body: '{"id": 1}',
        headers: { Prefer: 'resolution=merge-duplicates' },
      });
      await expectClientError(`/rest/v1/activities?id=eq.${ATHLETE_A * 1000}`, { method: 'PATCH', body: JSON.stringify({ [name]: 'x' }) });
      await expectClientError(`/rest/v1/${n}`);
    }
    expect(await fingerprint()).toBe(before);
  });

  it('hostile filter values are bound parameters: they match nothing or are 4xx', async () => {
    const before = await fingerprint();
    for (const value of HOSTILE.concat([`1 or 1=1`, `' or ''='`, `1; delete from public.activities`])) {
      const v = encodeURIComponent(value);
      await expectNothingOr4xx(await h.fetch(`/rest/v1/activities?name=eq.${v}`, { jwt }));
      await expectClientError(`/rest/v1/activities?id=eq.${v}`); // not a bigint: 22P02 → 400
      const del = await h.fetch(`/rest/v1/activities?name=like.${v}`, { jwt, method: 'DELETE' });
      expect([204, 400]).toContain(del.status);
      const inList = await h.fetch(`/rest/v1/activities?name=in.(${encodeURIComponent(`"${value.replace(/["\\]/g, '\\$&')}"`)})`, { jwt });
      await expectNothingOr4xx(inList);
    }
    expect(await fingerprint()).toBe(before);
  });

  it('malformed operators, in-lists, limits, ranges and bodies are 4xx PostgREST errors', async () => {
    const before = await fingerprint();
    const paths = [
      '/rest/v1/activities?id=1',
      '/rest/v1/activities?id=nope.1',
      '/rest/v1/activities?id=eq',
      '/rest/v1/activities?id=in.1,2',
      '/rest/v1/activities?id=in.("1)',
      '/rest/v1/activities?id=is.maybe',
      '/rest/v1/activities?id=fts.x',
      '/rest/v1/activities?or=(id.eq.1,id.eq.2)',
      '/rest/v1/activities?limit=-1',
      '/rest/v1/activities?limit=1;drop',
      '/rest/v1/activities?offset=1e9',
      '/rest/v1/activities?order=id.sideways',
      '/rest/v1/activities?order=id.asc.desc',
      '/rest/v1/activities?select=athlete:athletes(*)',
      '/rest/v1/activities?select=streams->x',
      '/rest/v1/activities?select=id::text',
      '/rest/v1/activities?select=id&select=name',
      '/rest/v1/activities?athletes.id=eq.1',
      '/rest/v1/rpc/anything',
      '/rest/v1/activities/1',
      '/rest/v1/activities?like=like.%',
    ];
    for (const p of paths) await expectClientError(p);
    await expectClientError('/rest/v1/activities', { headers: { Range: '9-1' } });
    await expectClientError('/rest/v1/activities', { headers: { 'Accept-Profile': 'auth' } });
    await expectClientError('/rest/v1/activities', { method: 'POST', body: '{oops' });
    await expectClientError('/rest/v1/activities', { method: 'POST', body: '"text"' });
    await expectClientError('/rest/v1/activities', { method: 'POST', body: '[1, 2]' });
    await expectClientError('/rest/v1/activities', { method: 'POST', body: '{"id": "1; drop table x", "athlete_id": 1}' });
    await expectClientError('/rest/v1/activities', { method: 'PUT', body: '{}' });
    await expectClientError('/rest/v1/activities?id=eq.1&limit=1', { method: 'DELETE' });
    const huge = JSON.stringify([{ name: 'x'.repeat(7 * 1024 * 1024) }]);
    const tooLarge = await h.fetch('/rest/v1/activities', { jwt, method: 'POST', body: huge });
    expect(tooLarge.status).toBe(413);
    expect(((await tooLarge.json()) as { code: string }).code).toBe('PGRST413');
    expect(await fingerprint()).toBe(before);
  });

  it('select= with thousands of columns is the client\'s 400 (PGRST100), not the database\'s 503', async () => {
    for (const n of [1001, 3000]) {
      const res = await h.fetch(`/rest/v1/activities?select=${Array(n).fill('id').join(',')}`, { jwt });
      expect(res.status, String(n)).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('PGRST100');
    }
    expect((await h.fetch(`/rest/v1/activities?select=${Array(1000).fill('id').join(',')}&limit=1`, { jwt })).status).toBe(200);
  });

  it("a user cannot write another athlete's rows whatever the body says", async () => {
    const before = await fingerprint();
    await expectClientError('/rest/v1/activities', {
      method: 'POST',
      body: JSON.stringify({ id: 1, athlete_id: ATHLETE_B, name: 'x', type: 'Ride', sport_type: 'Ride', start_date: '2026-01-01T00:00:00Z', start_date_local: '2026-01-01T00:00:00' }),
    });
    await expectClientError(`/rest/v1/activities?id=eq.${ATHLETE_A * 1000}`, { method: 'PATCH', body: JSON.stringify({ athlete_id: ATHLETE_B }) });
    await expectClientError(`/rest/v1/athletes?id=eq.${ATHLETE_A}`, { method: 'PATCH', body: JSON.stringify({ user_id: '00000000-0000-4000-8000-000000000000' }) });
    expect(await fingerprint()).toBe(before);
  });
});
