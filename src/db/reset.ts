import { rmSync } from 'node:fs';
import { VeloError } from '../errors.js';
import { quoteIdent } from './catalog.js';
import { EXCLUDED_SCHEMAS } from './diff/snapshot.js';
import { lockMigrations } from './history.js';
import { detectAuth } from './shim.js';
import type { Queryable } from './sql.js';
import { pgliteDir } from './paths.js';
import { liveServeInfo } from './serve-info.js';
import { managedDatabaseProvider } from './production-url.js';
import { redactDbUrl } from '../config/redact.js';

/** `db reset --db-url`: refuses a managed (production-looking) database unless told otherwise. */
export function refuseProductionUrl(url: string, yesIMeanIt: boolean): void {
  const provider = managedDatabaseProvider(url);
  if (provider && !yesIMeanIt) {
    throw new VeloError(
      'RESET_PRODUCTION_REFUSED',
      `${redactDbUrl(url)} looks like a managed ${provider} database; db reset deletes every table in it.`,
      'Reset a local or throwaway database instead; if this one really is disposable, add --yes-i-mean-it.',
      2,
    );
  }
}

/** Removes the embedded database's files (the next open creates an empty one). */
export function removeEmbeddedDatabase(dataDir: string): void {
  const serve = liveServeInfo(dataDir);
  if (serve) {
    throw new VeloError(
      'SERVE_RUNNING',
      `veloready serve (pid ${serve.pid}) is running on ${dataDir}; its database cannot be reset underneath it.`,
      'Stop serve first (or use `veloready serve --reset`).',
    );
  }
  rmSync(pgliteDir(dataDir), { recursive: true, force: true });
}

/**
 * Drops what migrations made on a server database: every object of `public` (the schema, its
 * grants and default privileges stay, as on Supabase), every other schema of the project,
 * veloready's history, the rows of Supabase's history, and the local auth shim when it is ours.
 */
export async function dropMigratedObjects(tx: Queryable): Promise<void> {
  await lockMigrations(tx);
  const { rows: schemas } = await tx.query<{ name: string }>(
    `select nspname as name from pg_namespace
      where nspname <> all($1::text[]) and nspname not like 'pg\\_%' and nspname not like 'supabase\\_%'
        and nspname not like 'graphql%' and nspname not in ('public', 'pg_catalog')
        and not exists (select 1 from pg_depend d where d.objid = pg_namespace.oid and d.deptype = 'e')`,
    [EXCLUDED_SCHEMAS],
  );
  const statements = schemas.map((s) => `drop schema ${quoteIdent(s.name)} cascade;`);
  const notExtension = (oid: string) => `not exists (select 1 from pg_depend d where d.objid = ${oid} and d.deptype = 'e')`;
  const { rows: relations } = await tx.query<{ name: string; kind: string }>(
    `select c.relname as name, c.relkind::text as kind from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and not c.relispartition and ${notExtension('c.oid')}`,
  );
  const DROP: Record<string, string> = { r: 'table', p: 'table', v: 'view', m: 'materialized view', S: 'sequence', f: 'foreign table' };
  for (const r of relations) statements.push(`drop ${DROP[r.kind]} if exists public.${quoteIdent(r.name)} cascade;`);
  const { rows: functions } = await tx.query<{ signature: string }>(
    `select format('public.%I(%s)', p.proname, pg_get_function_identity_arguments(p.oid)) as signature
       from pg_proc p where p.pronamespace = 'public'::regnamespace and p.prokind in ('f', 'p') and ${notExtension('p.oid')}`,
  );
  for (const f of functions) statements.push(`drop routine if exists ${f.signature} cascade;`);
  const { rows: types } = await tx.query<{ name: string }>(
    `select t.typname as name from pg_type t
      where t.typnamespace = 'public'::regnamespace and t.typtype in ('e', 'd', 'c') and ${notExtension('t.oid')}
        and (t.typrelid = 0 or (select relkind from pg_class where oid = t.typrelid) = 'c')`,
  );
  for (const t of types) statements.push(`drop type if exists public.${quoteIdent(t.name)} cascade;`);
  statements.push('drop schema if exists veloready cascade;');
  if ((await tx.query<{ t: string | null }>(`select to_regclass('supabase_migrations.schema_migrations')::text as t`)).rows[0]?.t) {
    statements.push('delete from supabase_migrations.schema_migrations;');
  }
  if ((await detectAuth(tx)) === 'shim') statements.push('drop schema auth cascade;');
  for (const s of statements) await tx.exec(s);
}
