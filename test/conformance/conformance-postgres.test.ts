// The conformance matrix's db cases with the db tool on PostgreSQL (a fresh
// database on the test server), each case's `postgres` override applied
// (case-file.ts: the same question in PostgreSQL's SQL, or a named skip).
// Native hosting only for now: the other hostings' probes are the SQLite
// matrix's, and the db tool under them is the same one; adding them here is
// `hostings: HOSTINGS` once their builds can be shared between two test files.
import { HOSTINGS } from './hostings.ts';
import { defineMatrix } from './matrix.ts';

defineMatrix({ engine: 'postgres', hostings: HOSTINGS.filter((h) => h.kind === 'native'), tools: ['db'], wrongProbe: false });
