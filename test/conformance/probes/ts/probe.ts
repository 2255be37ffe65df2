// The TypeScript conformance probe: a native plugin that runs one case through
// the tools object a native plugin receives. Same endpoint and same answers as
// the Go probe (../go): POST /conformance/<hosting>/run with { tool, method,
// request: base64 of the proto request }, answering { response: base64 } or
// { error }. The proto round trip uses the kernel's own plain mapping, the one
// every native call goes through. Calls that only work in onBoot (routes are
// fixed once the server listens) come as config CONF_BOOT_<hosting>, one
// "tool method base64" a line, made at
// boot, their outcomes answered to { tool: '_boot', method: '<index>' }.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { CONTRACT, McError, mcError, type Tools } from '../../../../kernel/index.ts';
import { methodOf } from '../../../../kernel/contract.ts';
import { fromPlain, toPlain } from '../../../../kernel/plain.ts';
import type { HttpRequest } from '../../../../proto/gen/microcore/v1/http_pb.js';

type Plainish = Record<string, unknown>;

export class ConformanceProbePlugin {
  #tools: Tools;
  /** The hosting name in the path; the deliberately wrong probe overrides it. */
  protected hosting = 'ts';

  // Every contract tool but system: the kernel grants a native plugin what its constructor
  // destructures. Kept whole (the kernel's guarded object), so the system.Status case meets
  // the refusal of a tool not declared.
  constructor({
    http, db, bus, logger, state, config,
    // microcore add: probe tools
  }: Tools) {
    this.#tools = arguments[0] as Tools;
  }

  #boot: unknown[] = [];

  async onBoot(): Promise<void> {
    await this.#tools.http.addEndpoint({ method: 'POST', path: `/conformance/${this.hosting}/run`, handler: (req) => this.run(req.body as Plainish) });
    const { found, value } = await this.#tools.config.get({ key: `CONF_BOOT_${this.hosting}` });
    if (!found) return;
    for (const line of value.split('\n').filter(Boolean)) {
      const [tool, method, request] = line.split(' ');
      this.#boot.push(await this.outcome({ tool, method, request }));
    }
  }

  async run(body: Plainish): Promise<unknown> {
    if (body.tool !== '_boot') return this.outcome(body);
    const i = Number(body.method);
    if (!(i in this.#boot)) throw mcError('MC_ERR_INVALID_ARGUMENT', `conformance probe (${this.hosting}): no boot call ${String(body.method)} (made ${this.#boot.length})`);
    return this.#boot[i];
  }

  async outcome(body: Plainish): Promise<unknown> {
    const tool = String(body.tool) as keyof typeof CONTRACT;
    const service = CONTRACT[tool];
    const method = service && methodOf(service, String(body.method));
    if (!method) return { error: { code: 'MC_ERR_INVALID_ARGUMENT', message: `conformance probe (${this.hosting}): no such tool method ${tool}.${String(body.method)}`, details: {} } };
    try {
      const request = toPlain(method.input, fromBinary(method.input, Buffer.from(String(body.request), 'base64')) as never);
      // Appended to a db.Execute request's sql: a request past the message limit could not itself cross into the probe.
      if (body.padSql !== undefined) request.sql = `${String(request.sql)}${' '.repeat(Number(body.padSql))}`;
      const plain = await this.call(tool, method.localName, withHandler(`${tool}.${method.name}`, request, this.#tools));
      return { response: Buffer.from(toBinary(method.output, fromPlain(method.output, this.answer(tool, method.name, plain as Plainish), 'response'))).toString('base64') };
    } catch (e) {
      if (!(e instanceof McError)) throw e;
      return { error: { code: e.code, message: e.message, details: e.details ?? {} } };
    }
  }

  /** The hook the deliberately wrong probe overrides. */
  protected answer(_tool: string, _method: string, plain: Plainish): Plainish {
    return plain;
  }

  private call(tool: string, method: string, request: Plainish): Promise<unknown> {
    const t = this.#tools[tool as keyof Tools] as unknown as Record<string, (input: unknown) => Promise<unknown>>;
    return t[method]!(request);
  }
}

/** The probe's fixed handlers, the same in every probe (see ../go/methods.go's call). */
function withHandler(name: string, request: Plainish, tools: Tools): Plainish {
  if (!('handlerId' in request)) return request;
  const { handlerId: _, ...rest } = request;
  switch (name) {
    case 'http.AddEndpoint':
      // x-slow: wait on a reply the recorder gives after 300 ms, past a short endpoint timeout.
      return {
        ...rest,
        handler: async (req: HttpRequest) => {
          if (req.headers['x-slow']) await tools.bus.request({ topic: 'conf.slow', payload: null, timeoutMs: 2000 });
          return { body: req.body ?? null, auth: req.auth ?? null, params: req.params };
        },
      };
    case 'http.AddStream':
      return { ...rest, handler: async (req: HttpRequest) => { await tools.http.sendEvent({ streamId: req.streamId, event: 'hello', data: { big: 9007199254740993n, text: 'é🚀' }, id: '1' }); return null; } };
    case 'http.AddAuthValidator':
      return { ...rest, handler: (req: HttpRequest) => (req.headers['x-user'] ? { user: req.headers['x-user'] } : null) };
    case 'bus.Subscribe':
      // Kept where a case can read it back: a wasm module cannot answer its own Bus.Request.
      return { ...rest, handler: async (event: { topic: string; payload: unknown }) => { await tools.state.set({ key: `seen.${event.topic}`, value: event.payload as never }); return event.payload; } };
  }
  return request;
}

/** Answers one case wrongly on purpose, so the runner's comparison is itself tested. */
export class WrongProbePlugin extends ConformanceProbePlugin {
  protected override hosting = 'wrong';

  // The kernel reads needs from this class's own constructor.
  constructor({ http, db, bus, logger, state, config }: Tools) {
    super({ http, db, bus, logger, state, config } as Tools);
  }

  protected override answer(tool: string, method: string, plain: Plainish): Plainish {
    if (tool === 'state' && method === 'Get' && plain.found) return { ...plain, value: 'not what was stored' };
    return plain;
  }
}
