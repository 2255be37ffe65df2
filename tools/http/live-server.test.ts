// Routes that come and go while the server listens (live-server.ts): the router
// behind the socket is rebuilt from the kernel route table.
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { bootProject, plugin, type TestProject } from '../../test/project.ts';

let project: TestProject | undefined;
afterEach(async () => {
  await project?.stop();
  project = undefined;
});

// A plugin that adds GET /late/:n when asked, from a handler, long after the server listens.
const GROWING = plugin(`export class Growing {
  constructor({ http }) { this.http = http; }
  async onBoot() {
    await this.http.addEndpoint({ method: 'POST', path: '/grow/:n', handler: async (req) => {
      const n = req.params.n;
      await this.http.addEndpoint({ method: 'GET', path: '/late/' + n, handler: () => ({ late: n }) });
      return { added: n };
    } });
    await this.http.addEndpoint({ method: 'GET', path: '/slow', handler: () => new Promise((r) => setTimeout(() => r({ slow: true }), 300)) });
  }
}`);

describe('routes after listen', () => {
  it('serves an endpoint added after the server listens as soon as addEndpoint resolves', async () => {
    project = await bootProject({ 'domains/a/plugins/growing.ts': GROWING });
    expect((await fetch(`${project.url}/late/1`)).status).toBe(404);
    const grown = await fetch(`${project.url}/grow/1`, { method: 'POST' });
    expect(await grown.json()).toEqual({ added: '1' });
    const late = await fetch(`${project.url}/late/1`);
    expect(late.status).toBe(200);
    expect(await late.json()).toEqual({ late: '1' });
    // It is in the OpenAPI document too: the new router lists what the table holds.
    const doc = (await (await fetch(`${project.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/late/1');
  });

  it('keeps a keep-alive connection and a request in flight across a rebuild', async () => {
    project = await bootProject({ 'domains/a/plugins/growing.ts': GROWING });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(`${project.url}/docs/json`, agent);
      // The slow request is taken by the router of before; the rebuild happens while it runs.
      const slow = get(`${project.url}/slow`, agent);
      // Let it reach the server first (it takes 300 ms there).
      await new Promise((r) => setTimeout(r, 50));
      const grown = await fetch(`${project.url}/grow/2`, { method: 'POST' });
      expect(grown.status).toBe(200);
      const answered = await slow;
      expect([answered.status, answered.body]).toEqual([200, '{"slow":true}']);
      const after = await get(`${project.url}/late/2`, agent);
      expect([after.status, after.body]).toEqual([200, '{"late":"2"}']);
      // One connection all along: the socket did not notice the router change.
      expect(answered.socket).toBe(first.socket);
      expect(after.socket).toBe(first.socket);
    } finally {
      agent.destroy();
    }
  });

  it('stops serving a plugin removed from the table: 404 once the router is rebuilt', async () => {
    project = await bootProject({ 'domains/a/plugins/growing.ts': GROWING });
    await fetch(`${project.url}/grow/3`, { method: 'POST' });
    expect((await fetch(`${project.url}/late/3`)).status).toBe(200);
    project.kernel.routes.removeOwner('a/growing');
    await project.kernel.routes.settled();
    const gone = await fetch(`${project.url}/late/3`);
    expect(gone.status).toBe(404);
    // The router's own answer (no such route), not the old router's dispatch finding its plugin gone.
    expect(((await gone.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'MC_ERR_HTTP_NOT_FOUND', message: expect.stringContaining('no endpoint GET /late/3') });
  });
});

function get(url: string, agent: Agent): Promise<{ status: number; body: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket: res.socket }));
    })
      .on('error', reject)
      .end();
  });
}
