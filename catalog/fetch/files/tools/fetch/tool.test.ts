// The fetch tool against real local HTTP servers (node:http): allow lists,
// address rules (a resolver that answers private addresses stands in for DNS
// rebinding), redirects checked hop by hop, deadlines, a body cut as it
// streams, headers, methods and bodies; then through a real kernel, traced.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallContext } from '../../kernel/index.ts';
import { createSelfSignedCert } from '../../kernel/self-signed-cert.ts';
import { bootProject, plugin, REPO } from '../../test/project.ts';
import FetchTool, { type Resolve } from './tool.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

interface Local {
  server: Server;
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Bytes the endless stream wrote before its client went away. */
  streamed: number[];
}

async function listen(handler: Handler, make: () => Server = () => createServer()): Promise<Local> {
  const local = { connections: 0, streamed: [] as number[] } as Local;
  local.server = make();
  local.server.on('connection', () => local.connections++);
  local.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((r) => local.server.listen(0, '127.0.0.1', r));
  local.port = (local.server.address() as AddressInfo).port;
  return local;
}

let a: Local;
let b: Local;
const A = () => `127.0.0.1:${a.port}`;

function routes(local: () => Local): Handler {
  return (req, res, body) => {
    const url = new URL(req.url!, 'http://x');
    switch (url.pathname) {
      case '/echo':
        res.setHeader('content-type', 'application/json');
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.setHeader('x-echo', 'yes');
        res.end(JSON.stringify({ method: req.method, path: req.url, headers: req.headers, body: body.toString() }));
        return;
      case '/redirect':
        res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to')! });
        res.end('moved');
        return;
      case '/loop':
        res.writeHead(302, { location: '/loop' });
        res.end();
        return;
      case '/slow':
        return; // never answers
      case '/declared':
        res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
        res.write('x');
        return;
      case '/endless': {
        // 64 KiB every 5 ms until the client goes away: a tool that read it whole would never finish.
        let written = 0;
        const chunk = Buffer.alloc(64 * 1024, 'y');
        const timer = setInterval(() => {
          written += chunk.length;
          res.write(chunk);
        }, 5);
        res.on('close', () => {
          clearInterval(timer);
          local().streamed.push(written);
        });
        return;
      }
      case '/sized':
        res.end(Buffer.alloc(Number(url.searchParams.get('n')), 'z'));
        return;
      default:
        res.writeHead(404).end('no such page');
    }
  };
}

beforeAll(async () => {
  a = await listen(routes(() => a));
  b = await listen(routes(() => b));
});
afterAll(() => {
  a.server.closeAllConnections();
  b.server.closeAllConnections();
  a.server.close();
  b.server.close();
});

const names: Record<string, string> = {
  'rebind.example.test': '127.0.0.1',
  'private.example.test': '10.0.0.5',
  'metadata.example.test': '169.254.169.254',
  'mapped.example.test': '::ffff:127.0.0.1',
  'ula.example.test': 'fd00::1',
  'cgnat.example.test': '100.64.1.1',
};
const resolve: Resolve = async (host) => {
  const address = names[host];
  if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return [{ address, family: address.includes(':') ? 6 : 4 }];
};

function tool(env: Record<string, string> = {}): FetchTool {
  const t = new FetchTool({ resolve });
  t.setup({ env });
  return t;
}

const caller = (allow?: unknown[], who = 'shop/buyer'): CallContext => ({ caller: who, traceId: '', settings: allow === undefined ? undefined : { allow } });
const req = (url: string, more: Record<string, unknown> = {}) => ({ method: '', url, headers: {}, body: new Uint8Array(), timeoutMs: 0n, maxResponseBytes: 0n, manualRedirects: false, ...more });
const text = (body: Uint8Array) => Buffer.from(body).toString();
const fails = async (p: Promise<unknown>) => p.then((v) => { throw new Error(`expected a failure, got ${JSON.stringify(v)}`); }, (e: unknown) => e as { code: string; message: string; details: Record<string, string> });

describe('allow lists', () => {
  it('no list: every request refused, naming the plugin, the host and the declaration to edit', async () => {
    const before = a.connections;
    const e = await fails(tool().request(req(`http://${A()}/echo`), caller()));
    expect(e.code).toBe('MC_ERR_CAP_DENIED');
    expect(e.message).toContain(`shop/buyer may not fetch http://${A()}/echo: host ${A()}, and it allows no hosts`);
    expect(e.message).toContain(`Add "${A()}" to the fetch allow list in domains/shop/plugins/buyer.ts (static tools = { fetch: { allow: [...] } })`);
    expect(e.details).toMatchObject({ plugin: 'shop/buyer', host: A() });
    const sidecar = await fails(tool().request(req(`http://${A()}/echo`), caller([], 'sidecar/crawler')));
    expect(sidecar.message).toContain('sidecars/crawler/sidecar.json ("tools": { "fetch": { "allow": [...] } })');
    const wasm = await fails(tool().request(req(`http://${A()}/echo`), caller(undefined, 'wasm/thumbs')));
    expect(wasm.message).toContain('wasm-plugins/thumbs/plugin.json');
    expect(a.connections).toBe(before);
  });

  it('a GET to an allowed address: status, headers and body, the URL that answered', async () => {
    const out = await tool().request(req(`http://${A()}/echo?q=1#frag`, { headers: { 'X-Trace-Me': 'abc', Accept: 'application/json' } }), caller([A()]));
    expect(out.status).toBe(200);
    expect(out.url).toBe(`http://${A()}/echo?q=1`);
    expect(out.redirects).toBe(0);
    expect(out.headers['x-echo']).toBe('yes');
    expect(out.headers['set-cookie']).toBe('a=1, b=2');
    const echoed = JSON.parse(text(out.body));
    expect(echoed).toMatchObject({ method: 'GET', path: '/echo?q=1', body: '' });
    expect(echoed.headers).toMatchObject({ 'x-trace-me': 'abc', accept: 'application/json', host: A(), 'user-agent': 'microcore-fetch' });
  });

  it('methods and bodies go as given; an error status is an answer', async () => {
    const t = tool();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const out = await t.request(req(`http://${A()}/echo`, { method, body: new TextEncoder().encode(`{"m":"${method}"}`), headers: { 'content-type': 'application/json', 'content-length': '1', host: 'evil' } }), caller([A()]));
      const echoed = JSON.parse(text(out.body));
      expect(echoed).toMatchObject({ method, body: `{"m":"${method}"}` });
      // The tool's own headers: the caller's content-length and host are not sent.
      expect(echoed.headers).toMatchObject({ 'content-type': 'application/json', 'content-length': String(`{"m":"${method}"}`.length), host: A() });
    }
    const head = await t.request(req(`http://${A()}/echo`, { method: 'head' }), caller([A()]));
    expect(head).toMatchObject({ status: 200, body: new Uint8Array() });
    expect((await t.request(req(`http://${A()}/nothing`), caller([A()]))).status).toBe(404);
    expect(await fails(t.request(req(`http://${A()}/echo`, { method: 'CONNECT' }), caller([A()])))).toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT' });
    expect(await fails(t.request(req(`http://${A()}/echo`, { body: new Uint8Array([1]) }), caller([A()])))).toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT' });
    expect(await fails(t.request(req(`http://${A()}/echo`, { headers: { 'x-bad': 'a\r\nb: c' } }), caller([A()])))).toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT' });
  });

  it('host and port: another port of an allowed host is refused; localhost by name, Host header kept', async () => {
    const e = await fails(tool().request(req(`http://127.0.0.1:${b.port}/echo`), caller([A()])));
    expect(e.code).toBe('MC_ERR_CAP_DENIED');
    expect(e.message).toContain(`which its allow list (${A()}) does not cover`);
    const out = await tool().request(req(`http://localhost:${a.port}/echo`), caller([`localhost:${a.port}`]));
    expect(JSON.parse(text(out.body)).headers.host).toBe(`localhost:${a.port}`);
  });

  it('only http and https; no credentials in the URL; a malformed entry is refused, naming it', async () => {
    expect(await fails(tool().request(req('ftp://127.0.0.1/x'), caller(['*'])))).toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT', message: expect.stringContaining('only http and https') });
    expect(await fails(tool().request(req(`http://u:p@${A()}/`), caller([A()])))).toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT' });
    expect(await fails(tool().request(req(`http://${A()}/`), caller([`http://${A()}`])))).toMatchObject({ code: 'MC_ERR_CAP_DENIED', message: expect.stringContaining(`list "http://${A()}" in 'allow', which is not a host`) });
    expect(await fails(tool().request(req(`http://${A()}/`), { caller: 'shop/buyer', traceId: '', settings: { allowed: [] } }))).toMatchObject({ code: 'MC_ERR_CAP_DENIED', message: expect.stringContaining("unknown field 'allowed'") });
  });
});

describe('addresses', () => {
  it('loopback is refused unless the entry names the address: "*" does not', async () => {
    const before = a.connections;
    const e = await fails(tool().request(req(`http://${A()}/echo`), caller(['*', `*:${a.port}`])));
    expect(e.code).toBe('MC_ERR_CAP_DENIED');
    expect(e.message).toContain(`127.0.0.1 is not a public address (loopback), and the allow entry "*:${a.port}" does not name it`);
    expect(await fails(tool().request(req(`http://[::ffff:127.0.0.1]:${a.port}/echo`), caller([`*:${a.port}`])))).toMatchObject({ code: 'MC_ERR_CAP_DENIED', message: expect.stringContaining('(IPv4-mapped loopback)') });
    expect(a.connections).toBe(before);
  });

  it.each([
    ['rebind.example.test', 'resolves to 127.0.0.1, which is not a public address (loopback)'],
    ['private.example.test', 'resolves to 10.0.0.5, which is not a public address (RFC 1918 private)'],
    ['metadata.example.test', 'resolves to 169.254.169.254, which is not a public address (link-local)'],
    ['mapped.example.test', 'resolves to ::ffff:127.0.0.1, which is not a public address (IPv4-mapped loopback)'],
    ['ula.example.test', 'resolves to fd00::1, which is not a public address (unique-local)'],
    ['cgnat.example.test', 'resolves to 100.64.1.1, which is not a public address (RFC 6598 CGNAT)'],
  ])('a name an entry allows but resolving to a non-public address (DNS rebinding): %s refused', async (host, why) => {
    const before = a.connections;
    for (const entry of ['*.example.test:' + a.port, `${host}:${a.port}`]) {
      const e = await fails(tool().request(req(`http://${host}:${a.port}/echo`), caller([entry])));
      expect(e.code).toBe('MC_ERR_CAP_DENIED');
      expect(e.message).toContain(`${host} ${why}`);
    }
    expect(a.connections).toBe(before);
  });

  it('a wildcard takes subdomains, not the domain itself nor a look-alike', async () => {
    for (const host of ['example.test', 'badexample.test']) {
      const e = await fails(tool().request(req(`http://${host}/`), caller(['*.example.test'])));
      expect(e).toMatchObject({ code: 'MC_ERR_CAP_DENIED', message: expect.stringContaining('does not cover') });
    }
  });

  it('a connection refused or a name that does not resolve: MC_ERR_TOOL_UNAVAILABLE naming the host', async () => {
    const closed = await listen(() => undefined);
    const port = closed.port;
    await new Promise((r) => closed.server.close(r));
    const refused = await fails(tool().request(req(`http://127.0.0.1:${port}/`), caller([`127.0.0.1:${port}`])));
    expect(refused).toMatchObject({ code: 'MC_ERR_TOOL_UNAVAILABLE', details: { host: `127.0.0.1:${port}`, cause: 'ECONNREFUSED' } });
    const unknown = await fails(tool().request(req('http://nowhere.example.test/'), caller(['*.example.test'])));
    expect(unknown).toMatchObject({ code: 'MC_ERR_TOOL_UNAVAILABLE', message: expect.stringContaining('host nowhere.example.test could not be resolved (ENOTFOUND)') });
  });

  it('https with a certificate the machine does not trust: MC_ERR_TOOL_UNAVAILABLE', async () => {
    const { keyPem, certPem } = createSelfSignedCert('localhost');
    const tls = await listen((_q, res) => res.end('secret'), () => createHttpsServer({ key: keyPem, cert: certPem }));
    try {
      const e = await fails(tool().request(req(`https://127.0.0.1:${tls.port}/`), caller([`127.0.0.1:${tls.port}`])));
      expect(e.code).toBe('MC_ERR_TOOL_UNAVAILABLE');
    } finally {
      tls.server.close();
    }
  });
});

describe('redirects', () => {
  const to = (url: string, status = 302) => `http://${A()}/redirect?status=${status}&to=${encodeURIComponent(url)}`;

  it('followed when each hop is allowed', async () => {
    const out = await tool().request(req(to(`http://${A()}/echo?hop=2`)), caller([A()]));
    expect(out).toMatchObject({ status: 200, url: `http://${A()}/echo?hop=2`, redirects: 1 });
  });

  it('a redirect to a host not allowed is refused before anything is sent there', async () => {
    const before = b.connections;
    const e = await fails(tool().request(req(to(`http://127.0.0.1:${b.port}/echo`)), caller([A()])));
    expect(e.code).toBe('MC_ERR_CAP_DENIED');
    expect(e.message).toContain(`may not fetch http://127.0.0.1:${b.port}/echo (a redirect from ${to(`http://127.0.0.1:${b.port}/echo`)})`);
    expect(b.connections).toBe(before);
  });

  it('a redirect to loopback through an entry that does not name it ("*") is refused', async () => {
    const before = b.connections;
    const e = await fails(tool().request(req(to(`http://127.0.0.1:${b.port}/echo`)), caller([A(), `*:${b.port}`])));
    expect(e).toMatchObject({ code: 'MC_ERR_CAP_DENIED', message: expect.stringContaining('is not a public address (loopback)') });
    const rebind = await fails(tool().request(req(to(`http://rebind.example.test:${b.port}/`)), caller([A(), `*.example.test:${b.port}`])));
    expect(rebind).toMatchObject({ code: 'MC_ERR_CAP_DENIED', message: expect.stringContaining('rebind.example.test resolves to 127.0.0.1') });
    expect(await fails(tool().request(req(to('file:///etc/passwd')), caller([A()])))).toMatchObject({ code: 'MC_ERR_CAP_DENIED', message: expect.stringContaining('only http and https') });
    expect(b.connections).toBe(before);
  });

  it('more than 5: refused; manual_redirects answers the 3xx itself', async () => {
    expect(await fails(tool().request(req(`http://${A()}/loop`), caller([A()])))).toMatchObject({ code: 'MC_ERR_TOOL_UNAVAILABLE', message: expect.stringContaining('redirected more than 5 times') });
    const manual = await tool().request(req(to('http://elsewhere.test/'), { manualRedirects: true }), caller([A()]));
    expect(manual).toMatchObject({ status: 302, redirects: 0, headers: { location: 'http://elsewhere.test/' } });
    expect(text(manual.body)).toBe('moved');
  });

  it('303 turns a POST into a GET without its body; 307 keeps both; credentials stay at their origin', async () => {
    const post = { method: 'POST', body: new TextEncoder().encode('payload'), headers: { authorization: 'Bearer t', 'content-type': 'text/plain' } };
    const after303 = JSON.parse(text((await tool().request(req(to(`http://${A()}/echo`, 303), post), caller([A()]))).body));
    expect(after303).toMatchObject({ method: 'GET', body: '' });
    expect(after303.headers.authorization).toBe('Bearer t');
    const after307 = JSON.parse(text((await tool().request(req(to(`http://${A()}/echo`, 307), post), caller([A()]))).body));
    expect(after307).toMatchObject({ method: 'POST', body: 'payload' });
    const elsewhere = JSON.parse(text((await tool().request(req(to(`http://localhost:${a.port}/echo`, 307), post), caller([A(), `localhost:${a.port}`]))).body));
    expect(elsewhere.headers.authorization).toBeUndefined();
    expect(elsewhere.body).toBe('payload');
  });
});

describe('limits', () => {
  it('a server that never answers: MC_ERR_HTTP_TIMEOUT at timeout_ms', async () => {
    const started = Date.now();
    const e = await fails(tool().request(req(`http://${A()}/slow`, { timeoutMs: 200n }), caller([A()])));
    expect(e).toMatchObject({ code: 'MC_ERR_HTTP_TIMEOUT', message: expect.stringContaining('no complete answer within 200 ms') });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('FETCH_TIMEOUT_MS is the default and caps timeout_ms', async () => {
    const e = await fails(tool({ FETCH_TIMEOUT_MS: '300' }).request(req(`http://${A()}/slow`, { timeoutMs: 60_000n }), caller([A()])));
    expect(e).toMatchObject({ code: 'MC_ERR_HTTP_TIMEOUT', message: expect.stringContaining('within 300 ms') });
    expect(() => tool({ FETCH_TIMEOUT_MS: 'soon' })).toThrow(expect.objectContaining({ code: 'MC_ERR_TOOL_SETUP' }));
    // Past what a Node timer holds (it would fire at once): refused like every duration.
    expect(() => tool({ FETCH_TIMEOUT_MS: '3000000000' })).toThrow(expect.objectContaining({ code: 'MC_ERR_TOOL_SETUP' }));
  });

  it('a body past max_response_bytes is cut while it streams in: the server sees the client leave', async () => {
    const e = await fails(tool().request(req(`http://${A()}/endless`, { maxResponseBytes: 200_000n }), caller([A()])));
    expect(e).toMatchObject({ code: 'MC_ERR_HTTP_TOO_LARGE', details: { limit: '200000' } });
    await expect.poll(() => a.streamed.length).toBe(1);
    expect(a.streamed[0]).toBeLessThan(4 * 1024 * 1024);
    // Within the limit: whole.
    expect((await tool().request(req(`http://${A()}/sized?n=200000`, { maxResponseBytes: 200_000n }), caller([A()]))).body.length).toBe(200_000);
  });

  it('a declared Content-Length past FETCH_MAX_BYTES is refused before reading', async () => {
    const e = await fails(tool({ FETCH_MAX_BYTES: '1048576' }).request(req(`http://${A()}/declared`, { maxResponseBytes: 100_000_000n }), caller([A()])));
    expect(e).toMatchObject({ code: 'MC_ERR_HTTP_TOO_LARGE', message: expect.stringContaining(`${50 * 1024 * 1024} bytes (Content-Length), more than 1048576 bytes`) });
  });

  it('for a sidecar or wasm caller, MC_MESSAGE_LIMIT_BYTES: MC_ERR_MESSAGE_TOO_LARGE; a native caller is not limited by it', async () => {
    const env = { MC_MESSAGE_LIMIT_BYTES: '65536' };
    const e = await fails(tool(env).request(req(`http://${A()}/sized?n=100000`), caller([A()], 'wasm/thumbs')));
    expect(e).toMatchObject({ code: 'MC_ERR_MESSAGE_TOO_LARGE', details: { plugin: 'wasm/thumbs', limit: '65536' } });
    expect((await tool(env).request(req(`http://${A()}/sized?n=100000`), caller([A()]))).body.length).toBe(100_000);
  });
});

describe('through the kernel', () => {
  it('a native plugin\'s static tools reach the tool; each call is traced; a remote failure leaves the tool ready', async () => {
    const project = await bootProject(
      {
        'tools/fetch/tool.ts': `export { default } from '${REPO}/tools/fetch/tool.ts';\n`,
        'domains/shop/plugins/buyer.ts': plugin(`export class BuyerPlugin {
          static tools = { fetch: { allow: ['${A()}', '127.0.0.1:1'] } };
          constructor({ http, fetch }) { this.http = http; this.fetch = fetch; }
          async onBoot() {
            await this.http.addEndpoint({ method: 'GET', path: '/buy', handler: async () => {
              const res = await this.fetch.request({ url: 'http://${A()}/echo' });
              return { status: res.status, echoed: JSON.parse(new TextDecoder().decode(res.body)).path };
            } });
            await this.http.addEndpoint({ method: 'GET', path: '/down', handler: async () => {
              try { await this.fetch.request({ url: 'http://127.0.0.1:1/' }); } catch (e) { return { code: e.code }; }
            } });
          }
        }`),
      },
      { tools: ['http', 'logger'] },
    );
    try {
      expect(project.item('shop/buyer')!.status).toBe('ready');
      const traceId = 'ab'.repeat(16);
      const res = await fetch(`${project.url}/buy`, { headers: { traceparent: `00-${traceId}-${'cd'.repeat(8)}-01` } });
      expect(await res.json()).toEqual({ status: 200, echoed: '/echo' });
      const call = project.kernel.metrics.recent().find((r) => r.tool === 'fetch');
      expect(call).toMatchObject({ caller: 'shop/buyer', tool: 'fetch', method: 'request', ok: true, traceId });
      expect(await (await fetch(`${project.url}/down`)).json()).toEqual({ code: 'MC_ERR_TOOL_UNAVAILABLE' });
      expect(project.kernel.metrics.recent()[0]).toMatchObject({ tool: 'fetch', ok: false, code: 'MC_ERR_TOOL_UNAVAILABLE' });
      expect(project.item('fetch')!.status).toBe('ready');
    } finally {
      await project.stop();
    }
  });
});
