// The example app (its domains, sidecars and wasm module) on PostgreSQL gives
// the same answers as on SQLite: the scenario of test/example-scenario.ts run
// against each engine, then compared.
import { afterEach, describe, expect, it } from 'vitest';
import { scenario } from './example-scenario.ts';
import { bootExampleApp, type ExampleApp } from './project.ts';
import { postgresDatabase } from './services.ts';

let app: ExampleApp | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

describe('the example app on PostgreSQL', () => {
  it('answers the same scenario as on SQLite, value for value', async () => {
    app = await bootExampleApp();
    const onSqlite = await scenario([app]);
    await app.stop();
    app = await bootExampleApp({ DATABASE_URL: await postgresDatabase() });
    expect(app.report.find((i) => i.name === 'db')).toMatchObject({ status: 'ready', source: 'tools/db-postgres' });
    const onPostgres = await scenario([app]);
    // The scenario did what it says (on SQLite), so equal answers mean the same behaviour.
    expect(onSqlite).toMatchObject({ createAda: { status: 201, body: { id: 1, name: 'Ada' } }, duplicate: { status: 409, code: 'MC_ERR_DB_UNIQUE' }, missing: 404 });
    expect(onSqlite).toMatchObject({ order2: { status: 201 }, cancel: { status: 200 }, update: { status: 200 }, searchTs: { status: 200 }, searchWasm: { status: 200 }, recommendations: { status: 200, body: { recommendations: [{ sku: 'gadget' }] } } });
    expect(JSON.stringify(onSqlite.searchWasm)).toContain('Kettle');
    expect(onPostgres).toEqual(onSqlite);
  });
});
