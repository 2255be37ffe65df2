// The http tool (fastify 5). Plugins add endpoints during onBoot; at
// onBootComplete (last of all tools) the server listens, each route in fastify
// with its JSON schema, and every request is dispatched through the kernel route
// table to the owning plugin's handler, whatever its hosting. Routes added or
// removed later (a reloaded plugin, a late sidecar) rebuild the router behind the
// socket (live-server.ts). Errors always answer { "error": { code, message, details } }.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerFactory } from 'fastify';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  durationMs,
  McError,
  mcError,
  newTrace,
  parseTraceparent,
  runInTrace,
  type CallContext,
  type HttpMethod,
  type InvokeOutput,
  type JsValue,
  type Plain,
  type Route,
  type ToolContext,
  type ToolMethods,
  type TraceContext,
} from '../../kernel/index.ts';
import type { AddAuthValidatorRequest, AddEndpointRequest, AddStreamRequest, HttpRequest, SendEventRequest } from '../../proto/gen/microcore/v1/http_pb.js';
import { parseExactJson, renderJson } from './json.ts';
import { addResponseHeaders } from './headers.ts';
import { docsPage, openApiDocument } from './openapi.ts';
import { checkSchemas, parameters, routeOptions, stringMap } from './parameters.ts';
import { natsSettings } from '../bus-nats/settings.ts';
import { StreamRelay } from './stream-relay.ts';
import { Streams } from './streams.ts';
import { LiveServer } from './live-server.ts';
import { addDashboard, checkDashboard, dashboardSettings, type DashboardAuth, type DashboardSettings } from './dashboard.ts';

const TITLE = 'MicroCore';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export default class FastifyHttp implements ToolMethods<'http'> {
  static readonly contract = 'http';
  #ctx?: ToolContext;
  #live?: LiveServer;
  #listening = false;
  #swapped: Promise<void> = Promise.resolve();
  /** What the router being built or serving was built from (routerShape). */
  #shape = '';
  #exactBodies = new WeakMap<object, JsValue>();
  #streams = new Streams();
  #handlerTimeoutMs = 30_000;
  #dashboard?: DashboardSettings;

  async setup(ctx: ToolContext): Promise<void> {
    this.#ctx = ctx;
    // Kernels sharing the NATS bus share their clients' event streams too.
    if (ctx.env.BUS_DRIVER === 'nats') this.#streams.relay = await StreamRelay.connect(natsSettings(ctx.env), ctx.log);
    this.#dashboard = dashboardSettings(ctx.env);
    this.#handlerTimeoutMs = durationMs(ctx.env.HTTP_HANDLER_TIMEOUT_MS, 'HTTP_HANDLER_TIMEOUT_MS', 30_000, 'MC_ERR_TOOL_SETUP') || 30_000;
    this.#live = new LiveServer((serverFactory) => this.#newApp(serverFactory));
    // Settings a build would refuse (CORS) fail the tool's setup, not its first request.
    this.#newApp(() => createServer());
    // Once serving, a change of what the router holds (a route added or gone, a
    // schema changed: a plugin reloaded, a sidecar attached late, a plugin gone)
    // rebuilds it behind the socket. A new version with the same routes only has
    // new handler ids, which requests read from the table: nothing to rebuild.
    ctx.routes.onChange((swapped) => {
      // The previous version's streams: nothing sends on them any more. EventSource reconnects, to the new one.
      if (swapped) this.#streams.closeOwner(swapped);
      if (!this.#listening || routerShape(ctx.routes.list()) === this.#shape) return this.#swapped;
      this.#swapped = this.#live!.swap().catch((err: unknown) => {
        // The previous router keeps serving; the next change tries again.
        this.#shape = '';
        ctx.log.error(`the HTTP router could not be rebuilt after a route change; the previous one keeps serving: ${(err as Error).message}`, { code: 'MC_ERR_HTTP_ROUTE' });
      });
      return this.#swapped;
    });
  }

  /** A fastify instance serving every route the table holds now, around the server factory it is given. */
  #newApp(serverFactory: FastifyServerFactory): FastifyInstance {
    const ctx = this.#ctx!;
    const app = Fastify({
      serverFactory,
      logger: false,
      bodyLimit: Number(ctx.env.HTTP_BODY_LIMIT || 1_048_576),
      // Validation must judge the body the handler gets (a separate, exact parse):
      // so it may not strip properties, coerce types or fill defaults in its copy.
      ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
      // Every answer carries its request id, errors raised before dispatch too:
      // a client's id is honoured when it looks like one; it also names the tracer node.
      genReqId: (req) => {
        const offered = req.headers['x-request-id'];
        return typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
      },
    });
    // JSON is the one body endpoints read: any other type (text/plain included)
    // answers 415 rather than reaching a handler as a string or a silent null.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, raw, done) => {
      const what = `the body of ${req.method} ${req.url}`;
      try {
        const charset = /;\s*charset=("?)([^";]+)\1/i.exec(req.headers['content-type'] ?? '')?.[2];
        if (charset && charset.toLowerCase() !== 'utf-8' && charset.toLowerCase() !== 'utf8') {
          throw mcError('MC_ERR_HTTP_UNSUPPORTED_MEDIA', `${what} is declared as charset=${charset}`, { contentType: String(req.headers['content-type']) });
        }
        if ((raw as Buffer).length === 0) return done(null, undefined);
        const text = decodeUtf8(raw as Buffer, what);
        // The numeric parse is what the schema validates; the exact one is what the handler gets.
        // As the route's schema reads it: a whole number in a `number` field is a number.
        const schema = ctx.routes.get(req.method as HttpMethod, req.routeOptions.url ?? '')?.bodySchema;
        this.#exactBodies.set(req, parseExactJson(text, what, schema));
        done(null, JSON.parse(text));
      } catch (err) {
        done(err instanceof McError ? err : mcError('MC_ERR_HTTP_MALFORMED', `${what} is not valid JSON (${(err as Error).message})`, {}, err), undefined);
      }
    });
    addResponseHeaders(app, ctx.env);
    app.setErrorHandler((err, req, reply) => this.#sendError(req, reply, err));
    app.setNotFoundHandler((req, reply) => this.#sendError(req, reply, mcError('MC_ERR_HTTP_NOT_FOUND', `no endpoint ${req.method} ${req.url.split('?')[0]}`, { method: req.method, path: req.url })));
    const routes = ctx.routes.list();
    this.#shape = routerShape(routes);
    for (const route of routes) {
      const name = `${route.method} ${route.path}`;
      app.route({ method: route.method, url: route.path, ...routeOptions(route), handler: (req, reply) => this.#dispatch(route.method, route.path, name, req, reply) });
    }
    app.get('/docs/json', async (_req, reply) => reply.type('application/json').send(renderJson(openApiDocument(ctx.routes.list(), TITLE))));
    app.get('/docs', async (_req, reply) => reply.type('text/html').send(docsPage(TITLE)));
    if (this.#dashboard) addDashboard(app, this.#dashboard, this.#dashboardAuth);
    return app;
  }

  // The dashboard's pages pass the validator DASHBOARD_AUTH names, as a route naming it would.
  #dashboardAuth: DashboardAuth = {
    has: (name) => this.#ctx!.routes.validator(name) !== undefined,
    authenticate: (auth, request) => this.#authenticate({ method: 'GET', path: '/dashboard', owner: 'tool/http', handlerId: '', successStatus: 200, summary: '', tags: [], auth }, request),
  };

  addEndpoint(input: Plain<AddEndpointRequest>, call: CallContext) {
    this.#addRoute(call, {
      method: input.method.toUpperCase() as HttpMethod,
      path: input.path,
      handlerId: input.handlerId,
      bodySchema: parseSchema(input.bodySchemaJson, 'bodySchemaJson', call.caller),
      responseSchema: parseSchema(input.responseSchemaJson, 'responseSchemaJson', call.caller),
      paramsSchema: parseSchema(input.paramsSchemaJson, 'paramsSchemaJson', call.caller),
      querySchema: parseSchema(input.querySchemaJson, 'querySchemaJson', call.caller),
      successStatus: input.successStatus || 200,
      summary: input.summary,
      tags: input.tags,
      auth: input.auth || undefined,
      timeoutMs: durationMs(input.timeoutMs, `${call.caller} http.addEndpoint ${input.method} ${input.path} timeoutMs`, 0),
    });
    return this.#served();
  }

  addStream(input: Plain<AddStreamRequest>, call: CallContext) {
    this.#addRoute(call, { method: 'GET', path: input.path, handlerId: input.handlerId, successStatus: 200, summary: input.summary, tags: input.tags, auth: input.auth || undefined, stream: true });
    return this.#served();
  }

  sendEvent(input: Plain<SendEventRequest>, call: CallContext) {
    const sent = this.#streams.send(input.streamId, call.caller, { event: input.event, data: input.data ?? null, id: input.id });
    return sent ? sent.then(() => ({})) : {};
  }

  addAuthValidator(input: Plain<AddAuthValidatorRequest>, call: CallContext) {
    if (!input.name) throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} added an auth validator without a name`, { field: 'name' });
    this.#ctx!.routes.addValidator({ name: input.name, owner: call.caller, handlerId: input.handlerId });
    return {};
  }

  #addRoute(call: CallContext, route: Omit<Route, 'owner' | 'tags'> & { tags: string[] }): void {
    // Default tag: the domain of a native plugin, the identity of any other.
    const tags = route.tags.length ? route.tags : [/^(sidecar|wasm)\//.test(call.caller) ? call.caller : call.caller.split('/')[0]!];
    // What the dashboard shows is guarded as the dashboard is: the /system/* data
    // (logs, traces, failure reasons) passes DASHBOARD_AUTH's validator too.
    const guard = this.#ctx!.env.DASHBOARD_AUTH;
    const auth = route.auth || (guard && route.path.startsWith('/system/') ? guard : undefined);
    checkSchemas({ ...route, owner: call.caller, tags });
    this.#ctx!.routes.add({ ...route, auth, owner: call.caller, tags });
  }

  /** Before listen, at once; after, once the router serving the new route is in place. */
  #served(): {} | Promise<{}> {
    return this.#listening ? this.#swapped.then(() => ({})) : {};
  }

  async onBootComplete(): Promise<void> {
    const ctx = this.#ctx!;
    for (const route of ctx.routes.list()) {
      if (route.auth && !ctx.routes.validator(route.auth)) ctx.log.error(`${route.method} ${route.path} (${route.owner}) names auth validator '${route.auth}', which no plugin added; it will answer 500`, { path: route.path });
    }
    if (this.#dashboard) checkDashboard(this.#dashboard, ctx.log, this.#dashboardAuth);
    const port = Number(ctx.env.HTTP_PORT ?? 5000);
    const host = ctx.env.HTTP_HOST || '0.0.0.0';
    const bound = await this.#live!.listen(port, host);
    this.#listening = true;
    // Say what is bound: a name like localhost may resolve to either family.
    const shown = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    ctx.log.info(`listening on http://${shown}:${bound.port}${host === '0.0.0.0' || host === '::' ? ' (every interface)' : ''}`, { port: this.port, host: bound.address });
  }

  /** The bound port (HTTP_PORT=0 picks a free one). */
  get port(): number {
    return this.#live?.port ?? 0;
  }

  async shutdown(): Promise<void> {
    // close() stops accepting connections and waits for requests in flight;
    // open event streams would hold it forever, so they end first.
    this.#streams.closeAll();
    await this.#live?.close();
    await this.#streams.relay?.close();
  }

  // Not async: a handler that answers at once is sent at once (no promise, no
  // deadline timer); fastify waits for reply.send either way.
  #dispatch(method: HttpMethod, path: string, name: string, req: FastifyRequest, reply: FastifyReply): void | Promise<unknown> {
    const requestId = req.id;
    const route = this.#ctx!.routes.get(method, path);
    if (!route) {
      this.#sendError(req, reply, mcError('MC_ERR_HTTP_NOT_FOUND', `${method} ${path} is no longer served (its plugin stopped)`, { path }));
      return;
    }
    const incoming = parseTraceparent(headerOf(req, 'traceparent')) ?? newTrace();
    // The request is the root event: whatever its handler publishes names it as parent.
    const trace = { traceId: incoming.traceId, eventId: requestId };
    const { end: finish } = this.#ctx!.tracer.begin({ id: requestId, parentId: '', traceId: trace.traceId, kind: 'http', name, source: route.owner, payloadKeys: [] });
    const request: Plain<HttpRequest> = {
      method,
      route: path,
      url: req.url,
      ...parameters(route, req),
      headers: stringMap(req.headers),
      body: this.#exactBodies.get(req) ?? null,
      requestId,
      streamId: '',
      auth: null,
    };
    try {
      if (route.stream) return this.#openStream(route, request, reply, trace, finish).catch((err: unknown) => this.#failed(req, reply, finish, err));
      // One deadline for the whole request, its validator included: a handler that
      // never answers must not hold the connection (it keeps running; its answer is dropped).
      const work = runInTrace(trace, () => (route.auth ? this.#authenticateThenInvoke(route, request) : this.#ctx!.invoke(route.owner, route.handlerId, { case: 'http', value: request })));
      if (work instanceof Promise) {
        return this.#withinDeadline(work, route)
          .then((out) => this.#send(route, reply, out, finish))
          .catch((err: unknown) => this.#failed(req, reply, finish, err));
      }
      this.#send(route, reply, work, finish);
    } catch (err) {
      this.#failed(req, reply, finish, err);
    }
  }

  #failed(req: FastifyRequest, reply: FastifyReply, finish: (outcome: { code: string }) => void, err: unknown): void {
    finish({ code: err instanceof McError ? err.code : 'MC_ERR_INTERNAL' });
    this.#sendError(req, reply, err);
  }

  #send(route: Route, reply: FastifyReply, out: InvokeOutput, finish: () => void): void {
    const response = out.case === 'http' ? out.value : { body: out.value };
    if (response.headers) for (const [k, v] of Object.entries(response.headers)) reply.header(k, v);
    const body = renderJson(response.body ?? null);
    finish();
    reply.code(response.status || route.successStatus).type('application/json').send(body);
  }

  async #openStream(route: Route, request: Plain<HttpRequest>, reply: FastifyReply, trace: TraceContext, finish: () => void): Promise<void> {
    if (route.auth) request.auth = await runInTrace(trace, () => this.#authenticate(route, request));
    finish();
    await this.#stream(this.#now(route), request, reply, trace);
  }

  async #authenticateThenInvoke(route: Route, request: Plain<HttpRequest>) {
    request.auth = await this.#authenticate(route, request);
    const now = this.#now(route);
    return this.#ctx!.invoke(now.owner, now.handlerId, { case: 'http', value: request });
  }

  /** The route as served now: its plugin may have been swapped for a new version (new handler ids) during an await. */
  #now(route: Route): Route {
    const now = this.#ctx!.routes.get(route.method, route.path);
    if (!now) throw mcError('MC_ERR_HTTP_NOT_FOUND', `${route.method} ${route.path} is no longer served (its plugin stopped)`, { path: route.path });
    return now;
  }

  // On every request's path: one promise and one timer, no race or extra await.
  #withinDeadline<T>(work: Promise<T>, route: Route): Promise<T> {
    const ms = route.timeoutMs || this.#handlerTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(mcError('MC_ERR_HTTP_TIMEOUT', `${route.method} ${route.path} (${route.owner}) did not answer within ${ms} ms`, { plugin: route.owner, timeoutMs: String(ms) })), ms);
      work.then(
        (out) => {
          clearTimeout(timer);
          resolve(out);
        },
        (err) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  /** Runs the route's validator: its answer is the request's auth; null or an error refuses. */
  async #authenticate(route: Route, request: Plain<HttpRequest>): Promise<JsValue> {
    const validator = this.#ctx!.routes.validator(route.auth!);
    if (!validator) throw mcError('MC_ERR_HTTP_ROUTE', `${route.method} ${route.path} (${route.owner}) names auth validator '${route.auth}', which no plugin added`, { path: route.path, auth: route.auth! });
    const out = await this.#ctx!.invoke(validator.owner, validator.handlerId, { case: 'http', value: request });
    const refused = out.case === 'http' && (out.value.status ?? 0) >= 400;
    const claims = out.case === 'http' ? (out.value.body ?? null) : out.value;
    if (refused || claims === null || claims === false) throw mcError('MC_ERR_HTTP_UNAUTHORIZED', `${request.method} ${request.url} needs valid credentials (validator '${route.auth}')`, { auth: route.auth! });
    return claims;
  }

  /** Opens an event stream and lets its plugin know; the plugin sends with SendEvent. */
  async #stream(route: Route, request: Plain<HttpRequest>, reply: FastifyReply, trace: TraceContext): Promise<void> {
    const headers = Object.fromEntries(Object.entries(reply.getHeaders()).map(([k, v]) => [k, String(v)]));
    reply.hijack();
    request.streamId = this.#streams.open(reply.raw, route.owner, headers);
    try {
      await runInTrace(trace, () => this.#ctx!.invoke(route.owner, route.handlerId, { case: 'http', value: request }));
    } catch (err) {
      const error = err instanceof McError ? err : mcError('MC_ERR_INTERNAL', `stream ${route.path} failed`, {}, err);
      this.#ctx!.log.error(error.message, { code: error.code, requestId: request.requestId });
      this.#streams.send(request.streamId, route.owner, { event: 'error', data: { code: error.code }, id: '' });
      this.#streams.close(request.streamId);
    }
  }

  #sendError(req: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
    const error = asHttpError(err, req);
    let shown = { code: error.code, message: error.message, details: error.details };
    // Database errors name SQL, tables and columns: internals even when they are 4xx.
    if (error.httpStatus >= 500 || error.code.startsWith('MC_ERR_DB_')) {
      const requestId = String(reply.getHeader('x-request-id') ?? '');
      this.#ctx?.log.error(error.message, { code: error.code, method: req.method, url: req.url, requestId, details: error.details, cause: String((error.cause as Error | undefined)?.stack ?? '') });
      // The code is the client's to branch on; the text and details are internals
      // (SQL, paths, stack) and stay in the log unless HTTP_EXPOSE_ERRORS=true.
      if (this.#ctx?.env.HTTP_EXPOSE_ERRORS !== 'true') {
        const details: Record<string, string> = {};
        if (error.details.kind) details.kind = error.details.kind;
        // Which fields clashed is the client's to fix (docs/errors.md, "What a client sees").
        if (error.details.columns && error.httpStatus < 500) details.columns = error.details.columns;
        if (requestId) details.requestId = requestId;
        const clash = details.columns ? ` (${details.columns})` : '';
        shown = { code: error.code, message: `${error.code}: ${req.method} ${req.url} failed${clash}; the server log has the cause (request id ${requestId || 'none'})`, details };
      }
    }
    return reply.code(error.httpStatus).type('application/json').send(renderJson({ error: shown }));
  }
}

function asHttpError(err: unknown, req: FastifyRequest): McError {
  if (err instanceof McError) return err;
  const e = err as { validation?: { instancePath: string; message?: string }[]; statusCode?: number; code?: string; message?: string };
  if (e.validation) {
    const problems = e.validation.map((v) => `${v.instancePath || 'body'} ${v.message ?? 'is invalid'}`);
    return mcError('MC_ERR_HTTP_VALIDATION', `${req.method} ${req.url}: ${problems.join('; ')}`, { problems: problems.join('; ') });
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return mcError('MC_ERR_HTTP_TOO_LARGE', `the body of ${req.method} ${req.url} is larger than HTTP_BODY_LIMIT`, {}, err);
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return mcError('MC_ERR_HTTP_UNSUPPORTED_MEDIA', `${req.method} ${req.url} sent a body of type '${req.headers['content-type'] ?? 'none'}'`, { contentType: String(req.headers['content-type'] ?? '') }, err);
  }
  if (e.statusCode && e.statusCode < 500) return mcError('MC_ERR_HTTP_MALFORMED', `${req.method} ${req.url}: ${e.message}`, { fastifyCode: e.code ?? '' }, err);
  // Internals stay in the log, not in the response.
  return mcError('MC_ERR_INTERNAL', `${req.method} ${req.url} failed`, {}, err);
}

/** What a fastify instance is built from, per route: method, path and the schemas it validates with. */
function routerShape(routes: Route[]): string {
  return JSON.stringify(routes.map((r) => [r.method, r.path, r.bodySchema, r.paramsSchema, r.querySchema]));
}

function parseSchema(json: string, field: string, caller: string): object | undefined {
  if (!json) return undefined;
  try {
    return JSON.parse(json) as object;
  } catch (err) {
    throw mcError('MC_ERR_INVALID_ARGUMENT', `${caller} gave http.addEndpoint a ${field} that is not JSON`, { field }, err);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(raw: Buffer, what: string): string {
  try {
    return UTF8.decode(raw);
  } catch (err) {
    throw mcError('MC_ERR_HTTP_MALFORMED', `${what} is not valid UTF-8`, {}, err, 'Send the body encoded as UTF-8, the only encoding JSON has.');
  }
}

function headerOf(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

