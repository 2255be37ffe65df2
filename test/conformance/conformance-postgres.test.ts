// The conformance matrix's db and state cases with the db tool (and with it the
// state tool: tools/state-postgres) on PostgreSQL (a fresh
// database on the test server), in every hosting, each case's `postgres`
// override applied (case-file.ts: the same question in PostgreSQL's SQL, or a
// named skip). It builds the probes as conformance.test.ts does (a second when
// they are up to date); both files may do so at once: cargo waits on its lock,
// and each build script replaces its output by a rename.
import { HOSTINGS } from './hostings.ts';
import { defineMatrix } from './matrix.ts';

defineMatrix({ drivers: { db: 'postgres', bus: 'memory' }, hostings: HOSTINGS, tools: ['db', 'state'], wrongProbe: false });
