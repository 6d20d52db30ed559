import { VeloError } from '../errors.js';
import { lineAt, type Statement } from './sql-split.js';

interface PgErrorFields {
  message?: string;
  code?: string;
  position?: string | number;
  detail?: string;
  hint?: string;
}

/** The line within the file where Postgres points (its `position`), else where the statement starts. */
export function errorLine(statement: Statement, err: unknown): number {
  const position = Number((err as PgErrorFields).position);
  if (Number.isInteger(position) && position > 0) {
    return statement.line + lineAt(statement.text, position - 1) - 1;
  }
  return statement.line;
}

/** duplicate_table, duplicate_object, duplicate_schema, duplicate_function: the object is already there. */
const ALREADY_EXISTS = new Set(['42P07', '42710', '42P06', '42723']);

export function migrationFailed(file: string, statement: Statement, err: unknown, firstRun = false): VeloError {
  const fields = err as PgErrorFields;
  const line = errorLine(statement, err);
  const pgMessage = fields.message ?? String(err);
  const code = fields.code ? ` (SQLSTATE ${fields.code})` : '';
  const detail = fields.detail ? `\n  detail: ${fields.detail}` : '';
  return new VeloError(
    'MIGRATION_FAILED',
    `Migration ${file} failed at line ${line}: ${pgMessage}${code}${detail}\n  statement: ${firstLine(statement.text)}`,
    firstRun && fields.code && ALREADY_EXISTS.has(fields.code)
      ? 'Nothing was applied. The database has this schema but no veloready history (made by hand or another tool): `veloready db status` finds the version it matches, then `veloready db baseline --to VERSION` adopts it.'
      : 'Nothing of this migration was applied (it was rolled back). Fix the file and run `veloready db migrate` again.',
    1,
    { cause: err },
  );
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
