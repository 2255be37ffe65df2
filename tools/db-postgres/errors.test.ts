// The SQLSTATE table and the details read from PostgreSQL's fields; the real
// server's errors through the tool are in tool.test.ts.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { classifyDbError, isDriverError, kindOfSqlstate } from './errors.ts';
import { SqlTextError } from './placeholders.ts';

describe('kindOfSqlstate', () => {
  it.each([
    ['23505', 'unique'],
    ['23503', 'constraint'],
    ['23502', 'constraint'],
    ['23514', 'constraint'],
    ['23P01', 'constraint'],
    ['40001', 'busy'],
    ['40P01', 'busy'],
    ['55P03', 'busy'],
    ['53300', 'busy'],
    ['57P01', 'busy'],
    ['08006', 'busy'],
    ['08P01', 'query'],
    ['42601', 'query'],
    ['42P01', 'query'],
    ['22003', 'query'],
    ['XX000', 'query'],
  ])('%s is %s', (sqlstate, kind) => {
    expect(kindOfSqlstate(sqlstate)).toBe(kind);
  });
});

describe('classifyDbError', () => {
  function serverError(fields: Partial<pg.DatabaseError>): pg.DatabaseError {
    return Object.assign(new pg.DatabaseError('boom', 0, 'error'), fields);
  }

  it('takes table, constraint and the key columns (quoted names unquoted) from the error', () => {
    const unique = serverError({ code: '23505', table: 'users', constraint: 'users_pair', detail: 'Key (email, "Tenant")=(a@b, 1) already exists.' });
    expect(classifyDbError(unique)).toEqual({ kind: 'unique', code: 'MC_ERR_DB_UNIQUE', details: { kind: 'unique', sqlstate: '23505', table: 'users', columns: 'email,Tenant', constraint: 'users_pair' } });
    const notNull = serverError({ code: '23502', table: 'users', column: 'name' });
    expect(classifyDbError(notNull).details).toEqual({ kind: 'constraint', sqlstate: '23502', table: 'users', columns: 'name' });
  });

  it('counts a refused SQL text as a query error and a lost connection as busy', () => {
    expect(classifyDbError(new SqlTextError('empty', 'fix')).code).toBe('MC_ERR_DB_QUERY');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(isDriverError(refused)).toBe(true);
    expect(classifyDbError(refused)).toMatchObject({ code: 'MC_ERR_DB_BUSY', details: { sqlstate: 'ECONNREFUSED' } });
    expect(isDriverError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDriverError(new TypeError('a bug'))).toBe(false);
  });
});
