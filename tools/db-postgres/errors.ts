// PostgreSQL's failures as the contract's fixed set of kinds, the same ones
// tools/db-sqlite/errors.ts gives, so a plugin branches on the code and never
// on the engine: unique (MC_ERR_DB_UNIQUE), constraint (MC_ERR_DB_CONSTRAINT),
// busy (MC_ERR_DB_BUSY), query (MC_ERR_DB_QUERY). The kind comes from the
// SQLSTATE; the facts PostgreSQL reports in fields (table, column, constraint)
// and in its DETAIL line (the key's columns) go into the same details keys as
// SQLite's: kind, table, columns, constraint, plus sqlstate in place of sqliteCode.
import pg from 'pg';
import { CODE_OF_KIND, type DbErrorKind, type DbFailure } from '../db-common/error-kinds.ts';
import { SqlTextError } from './placeholders.ts';

/** An error from PostgreSQL or on the way to it: the server's, a refused SQL text, or a connection that failed. */
export type DriverError = Error;

// Node's socket errors, and pg's own words for a connection that went away or a pool that had none to give.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
const CONNECTION_MESSAGES = /^(?:Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended)/i;

export function isDriverError(err: unknown): err is DriverError {
  return err instanceof pg.DatabaseError || err instanceof SqlTextError || isConnectionError(err);
}

function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (typeof code === 'string' && CONNECTION_CODES.has(code)) || CONNECTION_MESSAGES.test(err.message);
}

/**
 * SQLSTATE → kind. Busy means "the same statement may succeed if tried again":
 * a serialization failure or deadlock (40001, 40P01), a lock not available
 * (55P03), too many connections (53300), a server starting or stopping (57P01–57P03),
 * a lost connection (class 08, except 08P01, which is a malformed request).
 */
export function kindOfSqlstate(sqlstate: string): DbErrorKind {
  if (sqlstate === '23505') return 'unique';
  if (sqlstate.startsWith('23')) return 'constraint';
  if (['40001', '40P01', '55P03', '53300', '57P01', '57P02', '57P03'].includes(sqlstate)) return 'busy';
  if (sqlstate.startsWith('08') && sqlstate !== '08P01') return 'busy';
  return 'query';
}

/** The kind of a driver error and what PostgreSQL said about it. */
export function classifyDbError(err: DriverError): DbFailure {
  if (err instanceof pg.DatabaseError) {
    const sqlstate = err.code ?? 'XX000';
    const kind = kindOfSqlstate(sqlstate);
    const details: Record<string, string> = { kind, sqlstate };
    if (err.table) details.table = err.table;
    const columns = keyColumns(err.detail) ?? err.column;
    if (columns) details.columns = columns;
    if (err.constraint) details.constraint = err.constraint;
    return { kind, code: CODE_OF_KIND[kind], details };
  }
  const kind: DbErrorKind = err instanceof SqlTextError ? 'query' : 'busy';
  const sqlstate = err instanceof SqlTextError ? err.name : String((err as { code?: unknown }).code ?? 'connection');
  return { kind, code: CODE_OF_KIND[kind], details: { kind, sqlstate } };
}

// "Key (email)=(a@example.org) already exists." (23505), "Key (customer_id)=(5)
// is not present in table "customers"." (23503). Columns come comma-separated.
const KEY = /^Key \((.+?)\)=\(/;

function keyColumns(detail: string | undefined): string | undefined {
  const m = detail ? KEY.exec(detail) : null;
  return m ? m[1]!.split(', ').map((c) => c.replace(/^"(.*)"$/, '$1')).join(',') : undefined;
}
