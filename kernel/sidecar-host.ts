// Sidecars: a child process per manifest, started with a go-plugin-style
// handshake (cookie, versions and the kernel's certificate in env, one stdout
// line back with the sidecar's certificate, sidecar-handshake.ts), or one
// already running that the manifest names by `address` (sidecar-attach.ts);
// either is checked with gRPC health, then driven through microcore.v1.Plugin
// over TLS pinned to its certificate. Its tool calls come back through the
// ToolServer, which knows it by the same certificate (sidecar-tls.ts). From
// protocol version 3 on, invokes and the tool calls made while serving them
// ride one call stream (sidecar-stream.ts).
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, isAbsolute } from 'node:path';
import { createInterface } from 'node:readline';
import { OnBootRequestSchema, OnShutdownRequestSchema, Plugin, type InvokeResponse, type OnBootResponse } from '../proto/gen/microcore/v1/plugin_pb.js';
import type { InvokeInput, InvokeOutput } from './contract.ts';
import { McError, mcError } from './errors.ts';
import type { GatewayCaller } from './gateway.ts';
import { InFlight } from './in-flight.ts';
import { decodeInvokeResponse, encodeInvoke, invokeOutput, invokeRequest } from './invoke-codec.ts';
import type { KernelLog } from './log.ts';
import { tooLarge } from './message-limit.ts';
import type { SidecarManifest } from './manifest.ts';
import type { PluginHost } from './plugin-host.ts';
import { ATTACH_CHANNEL_OPTIONS, ATTACH_VERSION, attachAbsent, attachRefused, attachTarget } from './sidecar-attach.ts';
import { PROTOCOL_VERSIONS, readHandshake } from './sidecar-handshake.ts';
import { checkHealth, unary } from './sidecar-health.ts';
import type { AttachPoint } from './sidecar-ports.ts';
import type { KeyAndCert } from './self-signed-cert.ts';
import { sidecarEnv } from './sidecar-env.ts';
import { typedDefinition } from './grpc-service.ts';
import { CallStream, type FrameCarrier } from './sidecar-stream.ts';
import type { ToolServer } from './tool-server.ts';
import { currentTrace, openSpan } from './trace.ts';

export const SIDECAR_COOKIE = 'microcore-sidecar-v1';
const STDERR_KEPT = 20;

const PluginClient = grpc.makeGenericClientConstructor(typedDefinition(Plugin), 'Plugin');

export interface SidecarOptions {
  identity: string;
  /** The sidecar's folder, absolute. */
  dir: string;
  manifestFile: string;
  manifest: SidecarManifest;
  needs: readonly string[];
  socketDir: string;
  toolServer: ToolServer;
  /** The kernel's side of attached sidecars (manifest `address`), opened on first call. */
  attachPoint(): Promise<AttachPoint>;
  /** The kernel's settings, where the manifest's passEnv names are looked up. */
  settings: Readonly<Record<string, string | undefined>>;
  log: KernelLog;
  /** Told when the process exits (an attached sidecar: its connection ends) while it should be running. */
  onExit(reason: string): void;
}

export class SidecarHost implements PluginHost {
  readonly hosting = 'sidecar';
  readonly identity: string;
  readonly needs: readonly string[];
  #o: SidecarOptions;
  #child?: ChildProcess;
  #plugin?: grpc.Client;
  #stream?: CallStream;
  /** The running process's certificate (DER), from its handshake line. */
  #cert?: Buffer;
  #stderr: string[] = [];
  #running = false;
  #stopping = false;
  /** Whether a start has succeeded: an attached sidecar is waited for at the first alone. */
  #started = false;
  #inFlight = new InFlight();
  /** Who its tool calls come from, over either connection. */
  #caller: GatewayCaller;

  constructor(o: SidecarOptions) {
    this.#o = o;
    this.identity = o.identity;
    this.needs = o.needs;
    this.#caller = { identity: o.identity, needs: o.needs, settings: o.manifest.tools };
  }

  async start(): Promise<void> {
    this.#running = false;
    this.#stopping = false;
    const peer = this.#o.manifest.address ? await this.#attach() : await this.#spawn();
    this.#forgetCert();
    this.#cert = peer.cert;
    this.#o.toolServer.addCaller(peer.cert, this.#caller);
    const credentials = this.#o.toolServer.channelTo(peer.cert, peer.own);
    const options = { ...this.#o.toolServer.channelOptions, ...peer.options };
    this.#plugin?.close();
    this.#plugin = new PluginClient(peer.target, credentials, options);
    await this.#checkHealth(peer.target, credentials, options, peer.cert);
    this.#stream?.close();
    this.#stream = undefined;
    if (peer.version >= 3) {
      const carrier = peer.frames ? await this.#dialFrames(peer.frames, peer.cert) : (this.#plugin as unknown as { connect(): FrameCarrier }).connect();
      this.#stream = new CallStream(carrier, { caller: this.#caller, gateway: this.#o.toolServer.gateway });
      if (this.#o.manifest.address) this.#watch(carrier, this.#stream);
    }
    const child = this.#child;
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw mcError('MC_ERR_SIDECAR_HANDSHAKE', `${this.identity} exited right after its handshake; last stderr: ${this.#stderr.slice(-3).join(' | ') || 'none'}`, { plugin: this.identity });
    this.#running = true;
    this.#started = true;
  }

  async #spawn(): Promise<Peer> {
    const m = this.#o.manifest;
    const command = m.command.includes('/') && !isAbsolute(m.command) ? join(this.#o.dir, m.command) : m.command;
    const { env, unset } = sidecarEnv(m, this.#o.settings, process.env, {
      MICROCORE_PLUGIN_COOKIE: SIDECAR_COOKIE,
      MICROCORE_PROTOCOL_VERSIONS: PROTOCOL_VERSIONS.join(','),
      MICROCORE_KERNEL_ADDRESS: `unix://${this.#o.toolServer.socketPath}`,
      MICROCORE_KERNEL_CERT: this.#o.toolServer.certPem,
      MICROCORE_IDENTITY: this.identity,
      MICROCORE_SOCKET_DIR: this.#o.socketDir,
      MICROCORE_MESSAGE_LIMIT: String(this.#o.toolServer.channelOptions['grpc.max_receive_message_length']),
    });
    if (unset.length) this.#o.log.warn(`${this.#o.manifestFile} passEnv names ${unset.join(', ')}, which the kernel's environment does not set; the sidecar starts without ${unset.length > 1 ? 'them' : 'it'}`, { plugin: this.identity });
    const child = spawn(command, m.args, { cwd: this.#o.dir, stdio: ['ignore', 'pipe', 'pipe'], env });
    this.#child = child;
    // Listen at once: a process that dies right after its handshake must be noticed too.
    child.once('exit', (code, signal) => {
      if (child !== this.#child) return;
      const wasRunning = this.#running;
      this.#running = false;
      if (wasRunning && !this.#stopping) this.#o.onExit(`${this.identity} exited (code ${code}, signal ${signal}); last stderr: ${this.#stderr.slice(-3).join(' | ') || 'none'}`);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > STDERR_KEPT) this.#stderr.shift();
      this.#logLine(line, 'warn');
    });
    const { address, ...rest } = await readHandshake(child, { identity: this.identity, manifestFile: this.#o.manifestFile, command, timeoutMs: m.startTimeoutMs, stderr: () => this.#stderr, onLine: (line) => this.#logLine(line, 'info') });
    return { target: `unix://${address}`, ...rest };
  }

  async #attach(): Promise<Peer> {
    const { own, toolAddress } = await this.#o.attachPoint();
    this.#o.log.debug(`attaching to ${this.identity} at ${this.#o.manifest.address}; its tool calls come to ${toolAddress} (MC_TOOL_ADDRESS)`, { plugin: this.identity });
    return { ...attachTarget(this.#o), version: ATTACH_VERSION, own, options: ATTACH_CHANNEL_OPTIONS };
  }

  /** An attached sidecar is not our child: its call stream ending is how we learn it went away. */
  #watch(carrier: FrameCarrier, stream: CallStream): void {
    const lost = (err?: Error) => {
      if (stream !== this.#stream || !this.#running || this.#stopping) return;
      this.#running = false;
      this.#o.onExit(`${this.identity} at ${this.#o.manifest.address} went away (its call stream ended${err ? `: ${err.message}` : ''})`);
    };
    carrier.on('end', () => lost());
    carrier.on('error', lost);
  }

  #forgetCert(): void {
    if (this.#cert) this.#o.toolServer.removeCaller(this.#cert);
    this.#cert = undefined;
  }

  async #dialFrames(path: string, cert: Buffer): Promise<FrameCarrier> {
    try {
      return await this.#o.toolServer.framesTo(path, cert, this.#o.manifest.startTimeoutMs);
    } catch (err) {
      this.#child?.kill('SIGKILL');
      throw mcError('MC_ERR_SIDECAR_HANDSHAKE', `${this.identity} chose protocol version 4, but ${(err as Error).message}`, { plugin: this.identity }, err);
    }
  }

  async #checkHealth(target: string, credentials: grpc.ChannelCredentials, options: grpc.ChannelOptions, cert: Buffer): Promise<void> {
    const attached = this.#o.manifest.address !== '';
    // At the kernel's boot an attached sidecar may still be starting beside it (a
    // container, a script): it gets startTimeoutMs. A reconnect is one try per
    // backoff step (sidecar-supervisor.ts).
    const wait = (err: unknown) => attached && !this.#started && !this.#stopping && attachAbsent(this.#o, err) !== undefined;
    try {
      await checkHealth(target, credentials, options, this.#o.manifest.startTimeoutMs, wait);
    } catch (err) {
      if (attached) throw attachAbsent(this.#o, err) ?? attachRefused(this.#o, cert, err);
      this.#child?.kill('SIGKILL');
      throw mcError('MC_ERR_SIDECAR_HANDSHAKE', `${this.identity} printed its handshake but its gRPC health service 'plugin' is not SERVING (${(err as Error).message})`, { plugin: this.identity }, err);
    }
  }

  /** A line the sidecar printed: JSON lines keep their level, others get `fallback`. */
  #logLine(line: string, fallback: 'info' | 'warn'): void {
    if (!line.trim()) return;
    let level: string = fallback;
    let message = line;
    let fields: Record<string, unknown> = {};
    if (line.startsWith('{')) {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        const { level: l, msg, message: text, ...rest } = parsed;
        if (typeof l === 'string' && ['debug', 'info', 'warn', 'error'].includes(l.toLowerCase())) level = l.toLowerCase();
        message = String(msg ?? text ?? line);
        fields = rest;
      } catch {
        // Not JSON after all: log the line as it is.
      }
    }
    this.#o.log[level as 'info']!(message, { ...fields, plugin: this.identity });
  }

  async boot(): Promise<void> {
    const res = await this.#call<OnBootResponse>('onBoot', create(OnBootRequestSchema, { identity: this.identity, config: this.#o.manifest.config }), this.#o.manifest.startTimeoutMs);
    if (res.error) throw new McError(res.error.code || 'MC_ERR_PLUGIN_BOOT', res.error.message, { plugin: this.identity, ...res.error.details });
  }

  invoke(handlerId: string, input: InvokeInput): Promise<InvokeOutput> {
    return this.#inFlight.run(() => this.#invoke(handlerId, input));
  }

  async #invoke(handlerId: string, input: InvokeInput): Promise<InvokeOutput> {
    if (this.#running && this.#stream && !this.#stream.ended) {
      const span = currentTrace() && openSpan(currentTrace()!);
      try {
        return decodeInvokeResponse(this.identity, await this.#stream.invoke(encodeInvoke(handlerId, input), this.#o.manifest.callTimeoutMs, span?.traceparent));
      } finally {
        span?.close();
      }
    }
    const res = await this.#call<InvokeResponse>('invoke', invokeRequest(handlerId, input), this.#o.manifest.callTimeoutMs);
    return invokeOutput(this.identity, res);
  }

  idle(): Promise<void> {
    return this.#inFlight.idle();
  }

  retire(retired: boolean): void {
    this.#caller.retired = retired;
  }

  async #call<T>(method: string, request: unknown, timeoutMs: number): Promise<T> {
    if (!this.#running || !this.#plugin) throw mcError('MC_ERR_SIDECAR_DOWN', `${this.identity} is not running, so Plugin.${method} was not sent`, { plugin: this.identity });
    const metadata = new grpc.Metadata();
    const trace = currentTrace();
    const span = trace && openSpan(trace);
    if (span) metadata.set('traceparent', span.traceparent);
    const deadline = Date.now() + timeoutMs;
    try {
      return await unary<T>(this.#plugin, method, request, metadata, timeoutMs);
    } catch (err) {
      let code = (err as grpc.ServiceError).code;
      // The sidecar's end sees the deadline too (sent rounded down in grpc-timeout)
      // and may cancel first: its CANCELLED can come a little before our own
      // DEADLINE_EXCEEDED would.
      if (code === grpc.status.CANCELLED && Date.now() >= deadline - 100) code = grpc.status.DEADLINE_EXCEEDED;
      if (code === grpc.status.UNAVAILABLE) throw mcError('MC_ERR_SIDECAR_DOWN', `${this.identity} did not answer Plugin.${method}`, { plugin: this.identity }, err);
      if (code === grpc.status.DEADLINE_EXCEEDED) throw mcError('MC_ERR_HANDLER_FAILED', `${this.identity} did not finish Plugin.${method} within ${timeoutMs} ms`, { plugin: this.identity, timeoutMs: String(timeoutMs) }, err, 'Make the handler faster, or raise callTimeoutMs in sidecar.json.');
      // Either way (our call, or its answer): grpc-js and grpc-go enforce MC_MESSAGE_LIMIT_BYTES.
      if (code === grpc.status.RESOURCE_EXHAUSTED) throw tooLarge(`${this.identity} Plugin.${method} (${(err as grpc.ServiceError).details})`, this.identity, Number(this.#o.toolServer.channelOptions['grpc.max_receive_message_length']));
      throw mcError('MC_ERR_HANDLER_FAILED', `${this.identity} failed Plugin.${method}: ${(err as Error).message}`, { plugin: this.identity }, err);
    } finally {
      span?.close();
    }
  }

  async shutdown(): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    this.#forgetCert();
    // An attached sidecar is told the kernel is going (OnShutdown) and keeps running: it is not ours to stop.
    if (this.#o.manifest.address && this.#running) await this.#call('onShutdown', create(OnShutdownRequestSchema), this.#o.manifest.stopTimeoutMs).catch(() => undefined);
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.#running = false;
      this.#stream?.close();
      return this.#plugin?.close();
    }
    // Listen before asking it to stop: it may exit on its own at any point after.
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const stopMs = this.#o.manifest.stopTimeoutMs;
    if (this.#running) await this.#call('onShutdown', create(OnShutdownRequestSchema), stopMs).catch(() => undefined);
    this.#running = false;
    // After OnShutdown: invokes still in flight could finish meanwhile.
    this.#stream?.close();
    this.#plugin?.close();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopMs);
    await exited;
    clearTimeout(timer);
  }
}

/** Who the host talks to: the gRPC target, its pinned certificate, the protocol version, and the certificate we show (the lasting one for an attached sidecar). */
interface Peer {
  target: string;
  cert: Buffer;
  version: number;
  frames?: string;
  own?: KeyAndCert;
  options?: grpc.ChannelOptions;
}
