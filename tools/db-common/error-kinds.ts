// The db contract's failure kinds, shared by every driver (tools/db-sqlite,
// tools/db-postgres): each driver maps its engine's errors onto these, so a
// plugin branches on the code the same way whatever the engine.
import type { ErrorCode } from '../../kernel/index.ts';

export const DB_ERROR_KINDS = ['unique', 'constraint', 'busy', 'query'] as const;
export type DbErrorKind = (typeof DB_ERROR_KINDS)[number];

export const CODE_OF_KIND: Record<DbErrorKind, ErrorCode> = {
  unique: 'MC_ERR_DB_UNIQUE',
  constraint: 'MC_ERR_DB_CONSTRAINT',
  busy: 'MC_ERR_DB_BUSY',
  query: 'MC_ERR_DB_QUERY',
};

export interface DbFailure {
  kind: DbErrorKind;
  code: ErrorCode;
  /** kind, the engine's own code (sqliteCode or sqlstate), and table, columns, constraint when known. */
  details: Record<string, string>;
}
