// One listening socket in front of a fastify instance that can be replaced.
// fastify takes no route once it is ready, so a route added or removed while
// the kernel runs (a plugin reloaded by `microcore dev`, a sidecar attached
// late) builds a new instance from the kernel route table and swaps it in: each
// request goes to the instance current when it arrived and finishes there, and
// the socket, its connections and their keep-alive never notice. The cost on
// every request is one extra function call (`npm run bench -- http-ping`).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyServerFactory } from 'fastify';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Builds a ready-to-configure fastify instance around the server factory it is given. */
export type AppBuilder = (serverFactory: FastifyServerFactory) => FastifyInstance;

// fastify's own default: longer than the usual load balancer's idle timeout.
const KEEP_ALIVE_MS = 72_000;

export class LiveServer {
  readonly server: Server;
  #build: AppBuilder;
  #app?: FastifyInstance;
  #handle: Handler = (_req, res) => res.writeHead(503).end();
  #swapping?: Promise<void>;
  #again = false;

  constructor(build: AppBuilder) {
    this.#build = build;
    this.server = createServer((req, res) => this.#handle(req, res));
    this.server.keepAliveTimeout = KEEP_ALIVE_MS;
  }

  /** Builds an instance from what the route table holds now and sends new requests to it. */
  async swap(): Promise<void> {
    // Changes that arrive during a build are taken by one more build after it:
    // every caller's change is served once its swap resolves.
    if (this.#swapping) {
      this.#again = true;
      return this.#swapping;
    }
    this.#swapping = (async () => {
      do {
        this.#again = false;
        await this.#replace();
      } while (this.#again);
    })().finally(() => (this.#swapping = undefined));
    return this.#swapping;
  }

  async #replace(): Promise<void> {
    let handler: Handler | undefined;
    // The instance never listens: its server is a stand-in fastify may set options on.
    const app = this.#build((h) => {
      handler = h as Handler;
      return createServer();
    });
    await app.ready();
    const old = this.#app;
    this.#app = app;
    this.#handle = handler!;
    // Requests it already took keep running: close() only runs its onClose hooks.
    await old?.close();
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    await this.swap();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** Stops taking connections, waits for requests in flight, ends idle keep-alive connections. */
  async close(): Promise<void> {
    if (this.server.listening) {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      await closed;
    }
    await this.#swapping?.catch(() => undefined);
    await this.#app?.close();
  }
}
