// Server-sent event streams and auth validators, over real HTTP.
import { afterEach, describe, expect, it } from 'vitest';
import { bootProject, plugin, REPO, type TestProject } from '../../test/project.ts';

let project: TestProject | undefined;
afterEach(async () => {
  await project?.stop();
  project = undefined;
});

const AUTH_PLUGIN = plugin(`
  import { reply } from '${REPO}/kernel/index.ts';
  export class AuthPlugin {
    constructor({ http }) { this.http = http; }
    async onBoot() {
      // The validator: a fixed token stands in for real verification.
      await this.http.addAuthValidator({ name: 'bearer', handler: (req) => (req.headers.authorization === 'Bearer good' ? { sub: 'ada', roles: ['admin'] } : null) });
      await this.http.addEndpoint({ method: 'GET', path: '/me', auth: 'bearer', handler: (req) => ({ auth: req.auth }) });
      await this.http.addEndpoint({ method: 'POST', path: '/open', handler: (req) => ({ auth: req.auth }) });
      await this.http.addEndpoint({ method: 'GET', path: '/broken', auth: 'nobody', handler: () => ({}) });
      await this.http.addAuthValidator({ name: 'status', handler: () => reply(401, { sub: 'not really' }) });
      await this.http.addEndpoint({ method: 'GET', path: '/by-status', auth: 'status', handler: (req) => ({ auth: req.auth }) });
    }
  }`);

describe('auth validators', () => {
  it('runs the named validator first; its answer is req.auth; no answer is 401', async () => {
    project = await bootProject({ 'domains/a/plugins/auth.ts': AUTH_PLUGIN });
    const ok = await fetch(`${project.url}/me`, { headers: { authorization: 'Bearer good' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ auth: { sub: 'ada', roles: ['admin'] } });
    const refused = await fetch(`${project.url}/me`, { headers: { authorization: 'Bearer bad' } });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('MC_ERR_HTTP_UNAUTHORIZED');
  });

  it('refuses the request when the validator answers with an error status, whatever its body', async () => {
    project = await bootProject({ 'domains/a/plugins/auth.ts': AUTH_PLUGIN });
    const res = await fetch(`${project.url}/by-status`);
    expect(res.status).toBe(401);
  });

  it('never lets a client fill req.auth: not through the body, not through headers', async () => {
    project = await bootProject({ 'domains/a/plugins/auth.ts': AUTH_PLUGIN });
    const res = await fetch(`${project.url}/open`, { method: 'POST', headers: { 'content-type': 'application/json', auth: 'x' }, body: JSON.stringify({ auth: { sub: 'root' } }) });
    expect(await res.json()).toEqual({ auth: null });
  });

  it('answers 500 naming an endpoint whose validator no plugin added', async () => {
    project = await bootProject({ 'domains/a/plugins/auth.ts': AUTH_PLUGIN }, { env: { HTTP_EXPOSE_ERRORS: 'true' } });
    const res = await fetch(`${project.url}/broken`);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("names auth validator 'nobody', which no plugin added");
  });
});

describe('server-sent event streams', () => {
  it('streams events a plugin sends, and tells the plugin when the client has gone', async () => {
    project = await bootProject({
      'domains/a/plugins/ticker.ts': plugin(`
        export class TickerPlugin {
          constructor({ http }) { this.http = http; }
          async onBoot() {
            await this.http.addStream({ path: '/ticks/:from', handler: async (req) => {
              globalThis.__stream = req.streamId;
              for (let n = Number(req.params.from); n < Number(req.params.from) + 3; n++) {
                await this.http.sendEvent({ streamId: req.streamId, event: 'tick', id: String(n), data: { n: BigInt(n), big: 9007199254740993n } });
              }
            } });
            globalThis.__send = (streamId) => this.http.sendEvent({ streamId, data: 'late' }).then(() => 'sent', (e) => e.code);
          }
        }`),
    });
    const controller = new AbortController();
    const res = await fetch(`${project.url}/ticks/5`, { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('id: 7')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('id: 5\nevent: tick\ndata: {"n":5,"big":9007199254740993}\n\n');
    expect(text).toContain('id: 7\nevent: tick\ndata: {"n":7,"big":9007199254740993}\n\n');
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const g = globalThis as unknown as { __send(id: string): Promise<string>; __stream: string };
    expect(await g.__send(g.__stream)).toBe('MC_ERR_HTTP_STREAM_CLOSED');
  });

  it('lists a stream in the OpenAPI document as text/event-stream', async () => {
    project = await bootProject({ 'domains/a/plugins/ticker.ts': plugin(`export class TickerPlugin { constructor({ http }) { this.http = http; } async onBoot() { await this.http.addStream({ path: '/ticks', handler: () => null }); } }`) });
    const doc = (await (await fetch(`${project.url}/docs/json`)).json()) as { paths: Record<string, { get: { responses: Record<string, { content: object }> } }> };
    expect(Object.keys(doc.paths['/ticks']!.get.responses['200']!.content)).toEqual(['text/event-stream']);
  });

  it('shuts down while a client holds a stream open', async () => {
    project = await bootProject({ 'domains/a/plugins/ticker.ts': plugin(`export class TickerPlugin { constructor({ http }) { this.http = http; } async onBoot() { await this.http.addStream({ path: '/ticks', handler: () => null }); } }`) });
    const res = await fetch(`${project.url}/ticks`);
    expect(res.status).toBe(200);
    const started = Date.now();
    await project.stop();
    project = undefined;
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
