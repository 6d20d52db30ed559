import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_HEADER } from '../../src/control/admin-guard.js';
import { DEMO_ATHLETE_ID } from '../../src/serve/demo-data.js';
import { REDACTED } from '../../src/util/redact.js';
import { migratedPostgres, type PostgresTestDb } from '../helpers/db.js';
import { startTestServe, type TestServe } from '../serve/helpers.js';

/** The Data view on a Postgres server (serve --db-url): pg's own value types, roles and catalog. */
describe.skipIf(!process.env.DATABASE_URL)('inspector on a Postgres server', () => {
  let db: PostgresTestDb;
  let serve: TestServe;
  beforeAll(async () => {
    db = await migratedPostgres();
    serve = await startTestServe({ dbUrl: db.url });
  }, 120_000);
  afterAll(async () => {
    await serve?.stop();
    await db?.drop();
  });

  it('pages rows read-only as service_role, values shown as text and secrets redacted', async () => {
    const r = await fetch(`${serve.url}/_/api/tables/athletes/rows?athlete_id=${DEMO_ATHLETE_ID}`).catch(() => undefined);
    expect(r?.status).toBe(400); // athletes has no athlete_id column: said, not a 500
    const page = (await (await fetch(`${serve.url}/_/api/tables/activities/rows?limit=5&athlete_id=${DEMO_ATHLETE_ID}`)).json()) as any;
    expect(page.rows).toHaveLength(5);
    const start = page.columns.indexOf('start_date');
    expect(page.rows[0][start]).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const athletes = (await (await fetch(`${serve.url}/_/api/tables/athletes/rows`)).json()) as any;
    const token = athletes.columns.indexOf('strava_access_token');
    expect(athletes.rows.some((row: any[]) => row[token] === REDACTED)).toBe(true);
  });

  it('runs the RLS matrix there too', async () => {
    const r = await fetch(`${serve.url}/_/api/rls/run`, { method: 'POST', headers: { [ADMIN_TOKEN_HEADER]: serve.adminGuard.token } });
    const body = (await r.json()) as any;
    expect(body.passed).toBe(true);
    expect(body.checks.length).toBeGreaterThan(20);
  });
});
