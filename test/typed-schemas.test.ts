// Issue 10, schemas as values: a native plugin passes TypeBox schemas, and what
// its handlers receive has the static type the schema gives (integer → bigint,
// number → number, boolean → boolean). test/fixtures/typed/typed-plugin.ts holds
// the static side (tsc checks it, @ts-expect-error lines included); here a real
// kernel serves it and real HTTP requests show the runtime side agrees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootProject, REPO, type TestProject } from './project.ts';

let project: TestProject;
beforeAll(async () => {
  project = await bootProject({ 'domains/typed/plugins/typed-plugin.ts': `export { TypedPlugin } from '${REPO}/test/fixtures/typed/typed-plugin.ts';\n` });
  expect(project.item('typed/typed-plugin')).toMatchObject({ status: 'ready' });
});
afterAll(() => project.stop());

const post = (path: string, body: unknown) => fetch(`${project.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('schemas as values: runtime values have their static types', () => {
  it('gives body, params and query fields the type their schema says, whole numbers in number fields included', async () => {
    const res = await post('/typed/9007199254740993?flag=true&scale=2', { count: 3, price: 2, name: 'n', active: false, size: { level: 4, ratio: 1 } });
    expect(res.status).toBe(200);
    const got = (await res.json()) as Record<string, unknown>;
    expect(got.body).toEqual({ count: 'bigint', price: 'number', name: 'string', active: 'boolean', note: 'undefined', level: 'bigint', ratio: 'number' });
    expect(got.params).toEqual({ id: 'bigint' });
    expect(got.query).toEqual({ flag: 'boolean', scale: 'number' });
    // an integer path parameter past 2^53 stays exact
    expect(got.values).toMatchObject({ id: 9007199254740993, flag: true, scale: 2, count: 3, price: 2 });
  });

  it('types an event payload and a request reply from the topic value (a whole number in a number field is a number)', async () => {
    const res = await post('/typed/1?flag=false', { count: 3, price: 2.5, name: 'n', active: true, note: 'x', size: { level: 4, ratio: 0.5 } });
    const got = (await res.json()) as Record<string, unknown>;
    expect(got.reply).toEqual({ n: 'bigint', half: 'number' });
    expect(got.body).toMatchObject({ note: 'string' });
    let seen: unknown = null;
    for (let i = 0; i < 50 && seen === null; i++) {
      seen = await (await fetch(`${project.url}/typed/seen`)).json();
      if (seen === null) await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toEqual({ count: 'bigint', price: 'number', tags: 'string' });
  });

  it('refuses a request whose params or body do not fit the schema before the handler runs', async () => {
    expect((await post('/typed/abc?flag=true', { count: 3, price: 2, name: 'n', active: false, size: { level: 4, ratio: 1 } })).status).toBe(422);
    expect((await post('/typed/1?flag=true', { count: 3.5, price: 2, name: 'n', active: false, size: { level: 4, ratio: 1 } })).status).toBe(422);
  });
});
