import { parseError } from './errors.js';

/**
 * PostgREST query-string syntax → a plain description of the request. Only the syntax is checked
 * here; names are checked against the catalog when SQL is built (build.ts).
 */

export const FILTER_OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'in', 'is'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];
/** Values accepted by `is`. */
export const IS_VALUES = ['null', 'not_null', 'true', 'false', 'unknown'] as const;
export type IsValue = (typeof IS_VALUES)[number];

export const MAX_IN_VALUES = 1000;
const MAX_LIMIT_DIGITS = 9;

export interface SelectItem {
  column: string | '*';
  alias?: string;
}

export type Filter =
  | { column: string; negate: boolean; op: Exclude<FilterOperator, 'in' | 'is'>; value: string }
  | { column: string; negate: boolean; op: 'in'; values: string[] }
  | { column: string; negate: boolean; op: 'is'; value: IsValue };

export interface OrderTerm {
  column: string;
  descending: boolean;
  nulls?: 'first' | 'last';
}

export interface ParsedQuery {
  select: SelectItem[];
  filters: Filter[];
  order: OrderTerm[];
  limit?: number;
  offset?: number;
  onConflict?: string[];
  columns?: string[];
}

/** Query parameters with a meaning of their own; every other key is a column filter. */
const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'on_conflict', 'columns']);
const UNSUPPORTED_RESERVED = new Set(['or', 'and', 'not.or', 'not.and']);

export function parseQuery(params: URLSearchParams): ParsedQuery {
  const query: ParsedQuery = { select: [{ column: '*' }], filters: [], order: [] };
  const seen = new Set<string>();
  for (const [key, value] of params) {
    if (RESERVED.has(key)) {
      if (seen.has(key)) throw parseError(`"${key}" is given more than once`);
      seen.add(key);
    }
    switch (key) {
      case 'select':
        query.select = parseSelect(value);
        break;
      case 'order':
        query.order = parseOrder(value);
        break;
      case 'limit':
        query.limit = parseNonNegative(value, 'limit');
        break;
      case 'offset':
        query.offset = parseNonNegative(value, 'offset');
        break;
      case 'on_conflict':
        query.onConflict = parseNameList(value, 'on_conflict');
        break;
      case 'columns':
        query.columns = parseNameList(value, 'columns');
        break;
      default:
        if (UNSUPPORTED_RESERVED.has(key)) throw parseError(`logical filters ("${key}") are not supported by this emulator`);
        query.filters.push(parseFilter(key, value));
    }
  }
  return query;
}

function parseNonNegative(value: string, name: string): number {
  if (!new RegExp(`^\\d{1,${MAX_LIMIT_DIGITS}}$`).test(value)) {
    throw parseError(`"failed to parse ${name} (${value})"`, `${name} must be a non-negative integer`);
  }
  return Number(value);
}

/** A plain column name, optionally double-quoted. Embedded resources, JSON paths and casts are refused. */
function parseName(raw: string, what: string): string {
  const s = raw.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) {
    const inner = s.slice(1, -1);
    if (inner.includes('"')) throw parseError(`failed to parse ${what} (${raw})`);
    return inner;
  }
  if (s === '') throw parseError(`failed to parse ${what}: empty name`);
  if (/->|::|[()!]/.test(s)) {
    throw parseError(
      `failed to parse ${what} (${raw})`,
      'embedded resources, JSON paths and casts are not supported by this emulator',
    );
  }
  return s;
}

function parseNameList(value: string, what: string): string[] {
  return value.split(',').map((n) => parseName(n, what));
}

/** Postgres refuses target lists over 1,664 entries (a 503-class error): refuse long ones as the client's. */
export const MAX_SELECT_ITEMS = 1000;

export function parseSelect(value: string): SelectItem[] {
  if (value.trim() === '') return [{ column: '*' }];
  const items = value.split(',');
  if (items.length > MAX_SELECT_ITEMS) throw parseError(`failed to parse select: ${items.length} items, at most ${MAX_SELECT_ITEMS}`);
  return items.map((raw) => {
    const item = raw.trim();
    if (item === '*') return { column: '*' };
    const colon = item.indexOf(':');
    // `alias:column`, but not a cast (`::`), which parseName refuses.
    if (colon > 0 && item[colon + 1] !== ':' && item[colon - 1] !== ':') {
      return { alias: parseName(item.slice(0, colon), 'select'), column: parseName(item.slice(colon + 1), 'select') };
    }
    return { column: parseName(item, 'select') };
  });
}

export function parseOrder(value: string): OrderTerm[] {
  return value.split(',').map((term) => {
    const parts = term.trim().split('.');
    const column = parseName(parts[0] ?? '', 'order');
    const out: OrderTerm = { column, descending: false };
    let direction = false;
    for (const m of parts.slice(1)) {
      if ((m === 'asc' || m === 'desc') && !direction) {
        out.descending = m === 'desc';
        direction = true;
      } else if ((m === 'nullsfirst' || m === 'nullslast') && !out.nulls) {
        out.nulls = m === 'nullsfirst' ? 'first' : 'last';
      } else {
        throw parseError(`"failed to parse order (${term})"`, 'expected column.asc|desc.nullsfirst|nullslast');
      }
    }
    return out;
  });
}

export function parseFilter(key: string, raw: string): Filter {
  const column = parseName(key, 'filter');
  if (column.includes('.')) throw parseError(`failed to parse filter (${key})`, 'filters on embedded resources are not supported');
  let rest = raw;
  let negate = false;
  if (rest.startsWith('not.')) {
    negate = true;
    rest = rest.slice(4);
  }
  const dot = rest.indexOf('.');
  const op = dot < 0 ? rest : rest.slice(0, dot);
  const value = dot < 0 ? '' : rest.slice(dot + 1);
  if (dot < 0 || !(FILTER_OPERATORS as readonly string[]).includes(op)) {
    throw parseError(
      `"failed to parse filter (${raw})" (line 1, column 1)`,
      `supported operators: ${FILTER_OPERATORS.join(', ')}`,
    );
  }
  if (op === 'in') return { column, negate, op, values: parseInList(value) };
  if (op === 'is') {
    if (!(IS_VALUES as readonly string[]).includes(value.toLowerCase())) {
      throw parseError(`"failed to parse filter (${raw})"`, `is accepts ${IS_VALUES.join(', ')}`);
    }
    return { column, negate, op, value: value.toLowerCase() as IsValue };
  }
  return { column, negate, op: op as Exclude<FilterOperator, 'in' | 'is'>, value };
}

/** `(a,"b,c","d \"e\"")`: items separated by commas, double quotes protect commas and parens. */
export function parseInList(value: string): string[] {
  if (!value.startsWith('(') || !value.endsWith(')')) {
    throw parseError(`"failed to parse filter (in.${value})"`, 'in expects a parenthesised list: in.(a,b,c)');
  }
  const body = value.slice(1, -1);
  const items: string[] = [];
  if (body === '') return items;
  let i = 0;
  while (i <= body.length) {
    let item = '';
    if (body[i] === '"') {
      i++;
      for (;;) {
        if (i >= body.length) throw parseError(`"failed to parse filter (in.${value})"`, 'unterminated quoted value');
        const ch = body[i]!;
        if (ch === '\\' && i + 1 < body.length) {
          item += body[i + 1];
          i += 2;
        } else if (ch === '"') {
          i++;
          break;
        } else {
          item += ch;
          i++;
        }
      }
      if (i < body.length && body[i] !== ',') throw parseError(`"failed to parse filter (in.${value})"`, 'text after a quoted value');
    } else {
      const end = body.indexOf(',', i);
      item = end < 0 ? body.slice(i) : body.slice(i, end);
      if (/[()"]/.test(item)) throw parseError(`"failed to parse filter (in.${value})"`, 'quote values containing , ( ) or "');
      i = end < 0 ? body.length : end;
    }
    items.push(item);
    if (items.length > MAX_IN_VALUES) throw parseError(`in lists are limited to ${MAX_IN_VALUES} values`);
    i++; // skip the comma (or step past the end)
  }
  return items;
}
