// vitest global setup: one NATS JetStream server and one PostgreSQL server for
// the whole run (test/services.ts), their URLs in every test process's
// environment, both stopped when the run ends.
import { startServices } from './services.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const services = await startServices();
  // Test processes are forked after this runs, so they inherit these.
  process.env.MC_TEST_NATS_URL = services.natsUrl;
  process.env.MC_TEST_DATABASE_URL = services.postgresUrl;
  return () => services.stop();
}
