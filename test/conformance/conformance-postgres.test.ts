// The conformance matrix on PostgreSQL (a fresh database on the test server):
// the cases of every tool that keeps anything — db and state (tools/state-postgres
// comes with the db tool on PostgreSQL), and catalog tools added with `microcore
// add` (blob's tools/blob-postgres, the scheduler's jobs table) — in every
// hosting, each case's `postgres` override applied (case-file.ts: the same
// question in PostgreSQL's SQL, or a named skip). A catalog tool that keeps
// nothing (fetch) runs its cases here too: the same answers on either database.
// It builds the probes as conformance.test.ts does (a second when they are up
// to date); both files may do so at once: cargo waits on its lock, and each
// build script replaces its output by a rename.
import { CONTRACT_NAMES } from '../../kernel/index.ts';
import { HOSTINGS } from './hostings.ts';
import { defineMatrix } from './matrix.ts';

// The core tools whose cases do not depend on the db driver.
const NOT_STORED = ['bus', 'config', 'http', 'logger', 'system'];

defineMatrix({ drivers: { db: 'postgres', bus: 'memory' }, hostings: HOSTINGS, tools: CONTRACT_NAMES.filter((n) => !NOT_STORED.includes(n)), wrongProbe: false });
