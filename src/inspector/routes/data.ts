import { publicTables, quoteIdent, type TableInfo } from '../../db/catalog.js';
import { asRole } from '../../db/rls.js';
import { runRlsTests } from '../../db/test-rls.js';
import { isSecretName, REDACTED } from '../../util/redact.js';
import { ApiError, optionalNumber, wholeNumber, type ApiRoute } from '../api-router.js';
import type { InspectorSources } from '../context.js';

export const DEFAULT_PAGE_ROWS = 50;
export const MAX_PAGE_ROWS = 200;
/** Longest text shown in one cell; array elements shown before "…". */
const CELL_CHARS = 300;
const CELL_ITEMS = 12;
const OWNER_COLUMN = 'athlete_id';

/** Who each isolation check runs as, for the matrix's identity axis. */
export function identityOf(operation: string): string {
  if (operation === 'anon SELECT') return 'anon';
  if (operation === 'RLS enabled' || operation === 'WITH CHECK') return 'catalog';
  if (operation === 'rows' || operation === 'setup') return 'setup';
  return 'authenticated (user A ↔ user B)';
}

/** A cell as the page shows it: secrets redacted (by column name, as the log does), big values cut. */
export function shownCell(column: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (isSecretName(column)) return REDACTED;
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) {
    const head = value.slice(0, CELL_ITEMS).map((v) => shownCell(column, v));
    return value.length > CELL_ITEMS ? `[${head.map((v) => JSON.stringify(v)).join(', ')}, … ${value.length} items]` : head;
  }
  if (typeof value === 'object') {
    const text = JSON.stringify(value);
    return text.length > CELL_CHARS ? `${text.slice(0, CELL_CHARS)}…` : value;
  }
  if (typeof value === 'string' && value.length > CELL_CHARS) return `${value.slice(0, CELL_CHARS)}…`;
  return value;
}

/** How long a read of the catalog is reused while paging (a migration while serving shows up after it). */
const CATALOG_REUSE_MS = 5000;

export function dataRoutes(s: InspectorSources): ApiRoute[] {
  let catalog: { at: number; tables: Promise<TableInfo[]> } | undefined;
  const tablesNow = (): Promise<TableInfo[]> => {
    if (!catalog || performance.now() - catalog.at > CATALOG_REUSE_MS) {
      catalog = { at: performance.now(), tables: publicTables(s.sql) };
      catalog.tables.catch(() => (catalog = undefined));
    }
    return catalog.tables;
  };
  /** The catalog's tables: the only identifiers a query may name. */
  const tableNamed = async (name: string): Promise<TableInfo> => {
    const table = (await tablesNow()).find((t) => t.name === name);
    if (!table) throw new ApiError(404, 'TABLE_NOT_FOUND', `no table public.${name}`);
    return table;
  };

  return [
    {
      method: 'GET',
      path: '/tables',
      handler: async () => {
        const tables = await tablesNow();
        const out = [];
        for (const t of tables) {
          const { rows } = await s.sql.query<{ n: string }>(`select count(*)::text as n from ${t.qualified}`);
          out.push({
            name: t.name,
            rows: Number(rows[0]?.n ?? 0),
            rlsEnabled: t.rlsEnabled,
            columns: t.columns.map((c) => ({ name: c.name, type: c.type })),
            hasAthleteId: t.columns.some((c) => c.name === OWNER_COLUMN),
          });
        }
        return { tables: out };
      },
    },
    {
      method: 'GET',
      path: '/tables/:name/rows',
      handler: async ({ params, query }) => {
        const table = await tableNamed(params.name!);
        const limit = wholeNumber(query.get('limit'), 'limit', { min: 1, max: MAX_PAGE_ROWS, fallback: DEFAULT_PAGE_ROWS });
        const offset = wholeNumber(query.get('offset'), 'offset', { fallback: 0 });
        const athleteId = optionalNumber(query.get('athlete_id'), 'athlete_id', { min: 1 });
        const hasOwner = table.columns.some((c) => c.name === OWNER_COLUMN);
        if (athleteId !== undefined && !hasOwner) throw new ApiError(400, 'NO_ATHLETE_COLUMN', `public.${table.name} has no ${OWNER_COLUMN} column`);
        const filtered = athleteId !== undefined;
        const order = (table.primaryKey.length ? table.primaryKey : [table.columns[0]!.name]).map(quoteIdent).join(', ');
        // Read-only, as the service role (what the inspector is: an operator's view), never as the owner.
        const { rows, total } = await s.sql.transaction(async (tx) => {
          await tx.query('set transaction read only');
          await asRole(tx, 'service_role', { role: 'service_role' });
          const page = filtered
            ? await tx.query<Record<string, unknown>>(`select * from ${table.qualified} where ${quoteIdent(OWNER_COLUMN)} = $1 order by ${order} limit $2 offset $3`, [athleteId, limit, offset])
            : await tx.query<Record<string, unknown>>(`select * from ${table.qualified} order by ${order} limit $1 offset $2`, [limit, offset]);
          const count = filtered
            ? await tx.query<{ n: string }>(`select count(*)::text as n from ${table.qualified} where ${quoteIdent(OWNER_COLUMN)} = $1`, [athleteId])
            : await tx.query<{ n: string }>(`select count(*)::text as n from ${table.qualified}`);
          return { rows: page.rows, total: Number(count.rows[0]?.n ?? 0) };
        });
        const columns = table.columns.map((c) => c.name);
        return {
          table: table.name,
          columns,
          total,
          offset,
          limit,
          rows: rows.map((r) => columns.map((c) => shownCell(c, r[c]))),
        };
      },
    },
    {
      method: 'POST',
      path: '/rls/run',
      handler: async () => {
        const report = await runRlsTests(s.sql);
        return {
          passed: report.passed,
          summary: report.summary,
          checks: report.checks.map((c) => ({ ...c, identity: identityOf(c.operation) })),
        };
      },
    },
  ];
}
