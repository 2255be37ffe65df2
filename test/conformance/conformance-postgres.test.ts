// The conformance matrix's cases of every tool with a PostgreSQL driver
// (tools/<tool>-postgres: db, state, and catalog tools such as blob) with the db
// tool (and with it those drivers) on PostgreSQL (a fresh
// database on the test server), in every hosting, each case's `postgres`
// override applied (case-file.ts: the same question in PostgreSQL's SQL, or a
// named skip). It builds the probes as conformance.test.ts does (a second when
// they are up to date); both files may do so at once: cargo waits on its lock,
// and each build script replaces its output by a rename.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../project.ts';
import { HOSTINGS } from './hostings.ts';
import { defineMatrix } from './matrix.ts';

const ON_POSTGRES = readdirSync(join(REPO, 'tools')).filter((f) => f.endsWith('-postgres')).map((f) => f.slice(0, -'-postgres'.length));

defineMatrix({ drivers: { db: 'postgres', bus: 'memory' }, hostings: HOSTINGS, tools: ON_POSTGRES, wrongProbe: false });
