// The conformance matrix on SQLite: every tool's cases in every hosting, and the
// deliberately wrong probe (matrix.ts).
import { HOSTINGS } from './hostings.ts';
import { defineMatrix } from './matrix.ts';

defineMatrix({ drivers: { db: 'sqlite', bus: 'memory' }, hostings: HOSTINGS, wrongProbe: true });
