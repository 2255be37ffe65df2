import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['kernel/**/*.test.ts', 'tools/**/*.test.ts', 'domains/**/*.test.ts', 'test/**/*.test.ts'],
    // Cross-hosting tests spawn sidecars and wasm workers: give them room, and
    // keep files in separate processes so one's kernel cannot leak into another.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // nats-server and PostgreSQL for the cluster drivers' tests (test/services.ts).
    globalSetup: ['test/services.setup.ts'],
  },
});
