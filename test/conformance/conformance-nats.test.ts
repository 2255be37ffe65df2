// The conformance matrix's bus cases with the bus tool on NATS JetStream (the
// test run's nats-server, a fresh NATS_PREFIX), in every hosting, each case's
// `nats` override applied (case-file.ts: what the NATS driver answers
// otherwise by design, or a named skip). It builds the probes as
// conformance.test.ts does (a second when they are up to date).
import { HOSTINGS } from './hostings.ts';
import { defineMatrix } from './matrix.ts';

defineMatrix({ drivers: { db: 'sqlite', bus: 'nats' }, hostings: HOSTINGS, tools: ['bus'], wrongProbe: false });
