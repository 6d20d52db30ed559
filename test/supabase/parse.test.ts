import { describe, expect, it } from 'vitest';
import { parseFilter, parseInList, parseOrder, parseQuery, parseSelect } from '../../src/supabase/postgrest/parse.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

describe('PostgREST query syntax', () => {
  it('in-lists honour double quotes and backslash escapes, as supabase-js writes them', () => {
    expect(parseInList('(1,2,3)')).toEqual(['1', '2', '3']);
    expect(parseInList('("a,b","c(d)",e)')).toEqual(['a,b', 'c(d)', 'e']);
    expect(parseInList('("say \\"hi\\"","back\\\\slash")')).toEqual(['say "hi"', 'back\\slash']);
    expect(parseInList('()')).toEqual([]);
    expect(parseInList('(,)')).toEqual(['', '']);
    for (const bad of ['1,2', '(1,2', '("open)', '("a"b)', '(a"b)']) expect(code(() => parseInList(bad)), bad).toBe('PGRST100');
  });

  it('filters: operator, negation, value with dots kept whole', () => {
    expect(parseFilter('name', 'eq.v1.2.3')).toEqual({ column: 'name', negate: false, op: 'eq', value: 'v1.2.3' });
    expect(parseFilter('x', 'not.is.null')).toEqual({ column: 'x', negate: true, op: 'is', value: 'null' });
    expect(parseFilter('x', 'in.(1,2)')).toEqual({ column: 'x', negate: false, op: 'in', values: ['1', '2'] });
    for (const bad of ['1', 'eq', 'between.1', 'is.maybe', 'not.not.eq.1']) expect(code(() => parseFilter('x', bad)), bad).toBe('PGRST100');
  });

  it('order terms: direction and nulls placement, anything else refused', () => {
    expect(parseOrder('start_date.desc.nullslast,id')).toEqual([
      { column: 'start_date', descending: true, nulls: 'last' },
      { column: 'id', descending: false },
    ]);
    for (const bad of ['id.up', 'id.asc.desc', 'id.nullsfirst.nullslast', '.desc', 'id;drop']) {
      expect(code(() => parseQuery(new URLSearchParams({ order: bad }))), bad).toBe(bad === 'id;drop' ? undefined : 'PGRST100');
    }
  });

  it('select lists: columns, aliases and * ; embeds, casts and JSON paths refused', () => {
    expect(parseSelect('id,ride:name,*')).toEqual([{ column: 'id' }, { column: 'name', alias: 'ride' }, { column: '*' }]);
    expect(parseSelect('')).toEqual([{ column: '*' }]);
    for (const bad of ['athletes(*)', 'id::text', 'streams->watts', 'a!inner(id)']) expect(code(() => parseSelect(bad)), bad).toBe('PGRST100');
  });

  it('limit and offset are non-negative integers; reserved words appear once', () => {
    expect(parseQuery(new URLSearchParams('limit=30&offset=10'))).toMatchObject({ limit: 30, offset: 10 });
    for (const bad of ['limit=-1', 'limit=1.5', 'offset=x', 'limit=1&limit=2', 'or=(a.eq.1)']) {
      expect(code(() => parseQuery(new URLSearchParams(bad))), bad).toBe('PGRST100');
    }
  });
});
