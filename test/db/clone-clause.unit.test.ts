import test from 'tape';
import { cloneClause } from '../../src/db/ensure-database.ts';

test('a clone copies its template’s files on PostgreSQL 15 and later, and asks older servers for no strategy they lack', (t) => {
  t.equal(
    cloneClause('tpl', 150000),
    ' TEMPLATE "tpl" STRATEGY FILE_COPY',
    '15: FILE_COPY, not the WAL-logged default',
  );
  t.equal(cloneClause('tpl', 160004), ' TEMPLATE "tpl" STRATEGY FILE_COPY', '16 too');
  t.equal(cloneClause('tpl', 140011), ' TEMPLATE "tpl"', '14 has no STRATEGY option (and copies files anyway)');
  t.equal(cloneClause('tpl', undefined), ' TEMPLATE "tpl"', 'an unknown version: no option');
  t.equal(cloneClause('a"b', 150000), ' TEMPLATE "a""b" STRATEGY FILE_COPY', 'the name quoted');
  t.equal(cloneClause(undefined, 150000), '', 'no template: a plain database');
  t.end();
});
