import { describe, expect, it } from 'vitest';
import { arrayLiteral, bulkInsertSql } from '../../src/seed/bulk.js';

describe('bulk insert encoding', () => {
  it('writes numeric arrays with NULLs and quotes text safely', () => {
    expect(arrayLiteral('bigint', [1, 2, 3])).toBe('{1,2,3}');
    expect(arrayLiteral('double precision', [1.5, null, 2])).toBe('{1.5,NULL,2}');
    expect(arrayLiteral('boolean', [true, false])).toBe('{true,false}');
    expect(arrayLiteral('text', ['a b', 'say "hi"', 'back\\slash', null, 'NULL'])).toBe('{"a b","say \\"hi\\"","back\\\\slash",NULL,"NULL"}');
  });

  it('refuses identifiers that are not plain names', () => {
    expect(() => bulkInsertSql('public.activities; drop table x', [{ name: 'id', type: 'bigint' }])).toThrow(/bad identifier/);
    expect(bulkInsertSql('public.t', [{ name: 'id', type: 'bigint' }, { name: 'name', type: 'text' }])).toBe(
      'insert into public.t (id, name) select * from unnest($1::bigint[], $2::text[]) on conflict do nothing',
    );
  });
});
