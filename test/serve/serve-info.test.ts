import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import { serveInfoPath } from '../../src/db/paths.js';
import { liveServeInfo } from '../../src/db/serve-info.js';
import { migratedDataDir } from '../helpers/db.js';

/** serve.json of a serve running on a Postgres server (--db-url): no socket to go through. */
describe('other commands beside a serve that runs on a Postgres server', () => {
  const holder = execa('node', ['-e', 'setTimeout(() => {}, 30000)']);
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await migratedDataDir();
  });
  afterAll(async () => {
    holder.kill();
    await holder.catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['no pgPort (what serve --db-url writes)', {}],
    ['pgPort 0 (what an older serve --db-url wrote)', { pgPort: 0 }],
  ])('%s: the embedded database is opened directly, not 127.0.0.1:0', async (_name, extra) => {
    writeFileSync(serveInfoPath(dataDir), JSON.stringify({ pid: holder.pid, url: 'http://127.0.0.1:1', ...extra }));
    expect(liveServeInfo(dataDir)).toEqual({ pid: holder.pid, url: 'http://127.0.0.1:1' });
    const sql = await openDatabase({ dataDir });
    try {
      expect(sql.target.kind).toBe('embedded');
      const { rows } = await sql.query<{ ok: boolean }>(`select to_regclass('public.athletes') is not null as ok`);
      expect(rows[0]!.ok).toBe(true);
    } finally {
      await sql.close();
    }
  });
});
