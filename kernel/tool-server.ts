// The kernel's tool services for sidecars: every contract service on a Unix
// socket in a private directory (mode 0600), over TLS. The client certificate
// names the caller (sidecar-tls.ts): a sidecar's own, from its handshake line
// or, for one attached by address, from its manifest; the traceparent metadata
// continues the caller's trace. Every call goes through the gateway. Attached
// sidecars reach the same services on a TCP port (listenTcp), where the kernel
// shows its lasting certificate (kernel-identity.ts) instead of its per-process one.
import { create, toBinary } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { chmodSync } from 'node:fs';
import { ErrorSchema, RpcStatusSchema } from '../proto/gen/microcore/v1/error_pb.js';
import { CONTRACT } from './contract.ts';
import { ERRORS, isErrorCode, mcError, toMcError } from './errors.ts';
import type { Gateway, GatewayCaller } from './gateway.ts';
import { rawDefinition } from './grpc-service.ts';
import { createSelfSignedCert, type KeyAndCert } from './self-signed-cert.ts';
import { CallerCredentials, certKey, peerCertOf, pinnedChannel } from './sidecar-tls.ts';
import { newTrace, runInTrace, traceFromParent } from './trace.ts';
import { dialFrames, type FrameSocket } from './sidecar-frames.ts';

export class ToolServer {
  #server: grpc.Server;
  #callers = new Map<string, GatewayCaller>();
  // One key pair per kernel process, in memory only; sidecars see the certificate.
  #own: KeyAndCert = createSelfSignedCert('microcore-kernel');
  #credentials = new CallerCredentials(this.#own);
  /** The TCP port's, when attached sidecars need one: the same callers, the lasting certificate. */
  #tcpCredentials?: CallerCredentials;
  readonly socketPath: string;
  /** gRPC options for both ends of every sidecar connection: one message size limit, both ways. */
  readonly channelOptions: grpc.ChannelOptions;
  /** Where tool calls go, for those that come over a sidecar's call stream (sidecar-stream.ts). */
  readonly gateway: Gateway;

  constructor(socketPath: string, gateway: Gateway) {
    this.socketPath = socketPath;
    this.gateway = gateway;
    this.channelOptions = { 'grpc.max_receive_message_length': gateway.messageLimit, 'grpc.max_send_message_length': gateway.messageLimit };
    this.#server = new grpc.Server(this.channelOptions);
    for (const [toolName, service] of Object.entries(CONTRACT)) {
      const handlers: grpc.UntypedServiceImplementation = {};
      for (const method of service.methods) {
        handlers[method.localName] = (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>) => {
          const cert = peerCertOf(call);
          const caller = cert && this.#callers.get(certKey(cert));
          const trace = traceFromParent(String(call.metadata.get('traceparent')[0] ?? '')) ?? newTrace();
          const work = caller
            ? runInTrace(trace, () => gateway.call(caller, toolName, method.name, call.request))
            : Promise.reject(mcError('MC_ERR_GATEWAY_UNAUTHENTICATED', `a call to ${toolName}.${method.name} came over a connection without a sidecar's certificate (only the kernel's own sidecars, over TLS with the certificate their handshake line named, may call tools)`, { tool: toolName }));
          work.then(
            (bytes) => callback(null, bytes),
            (err) => callback(grpcError(toMcError(err, 'MC_ERR_INTERNAL', `${toolName}.${method.name}`))),
          );
        };
      }
      this.#server.addService(rawDefinition(service), handlers);
    }
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.bindAsync(`unix://${this.socketPath}`, this.#credentials, (err) => (err ? reject(err) : resolve()));
    });
    chmodSync(this.socketPath, 0o600);
  }

  /**
   * Also serves on TCP at `address` (host:port), showing `own` (the kernel's
   * lasting identity): for sidecars attached by address. Resolves to the bound
   * host:port (port 0 picks one).
   */
  async listenTcp(address: string, own: KeyAndCert): Promise<string> {
    const credentials = new CallerCredentials(own);
    for (const der of this.#credentials.trusted()) credentials.addCert(der);
    this.#tcpCredentials = credentials;
    const port = await new Promise<number>((resolve, reject) => {
      this.#server.bindAsync(address, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
    });
    return `${address.slice(0, address.lastIndexOf(':'))}:${port}`;
  }

  /** The certificate sidecars pin (MICROCORE_KERNEL_CERT): public. */
  get certPem(): string {
    return this.#own.certPem;
  }

  /**
   * Lets the holder of the key of `certDer` (a sidecar's certificate) call tools
   * as `caller`. One certificate is one caller: two attached sidecars sharing a
   * key pair would otherwise act as each other.
   */
  addCaller(certDer: Buffer, caller: GatewayCaller): void {
    const key = certKey(certDer);
    const holder = this.#callers.get(key);
    if (holder && holder.identity !== caller.identity) throw mcError('MC_ERR_SIDECAR_HANDSHAKE', `${caller.identity} presents the certificate (sha256 ${key}) that ${holder.identity} already uses`, { plugin: caller.identity, other: holder.identity }, undefined, 'Give each attached sidecar its own key pair (its own MICROCORE_TLS_DIR) and pin that certificate in its sidecar.json.');
    this.#callers.set(key, caller);
    this.#credentials.addCert(certDer);
    this.#tcpCredentials?.addCert(certDer);
  }

  removeCaller(certDer: Buffer): void {
    this.#callers.delete(certKey(certDer));
    this.#credentials.removeCert(certDer);
    this.#tcpCredentials?.removeCert(certDer);
  }

  /** Credentials to dial the sidecar whose certificate is `certDer`: we show ours (`own`: the lasting one, for an attached sidecar), accept only its. */
  channelTo(certDer: Buffer, own: KeyAndCert = this.#own): grpc.ChannelCredentials {
    return pinnedChannel(own, certDer);
  }

  /** Dials a version 4 sidecar's frames socket at `path`: we show our certificate, accept only `certDer`. */
  framesTo(path: string, certDer: Buffer, timeoutMs: number): Promise<FrameSocket> {
    return dialFrames(path, this.#own, certDer, timeoutMs);
  }

  /** Lets calls in flight finish, for at most `graceMs`; the sidecars are stopped by now. */
  async close(graceMs = 1_000): Promise<void> {
    // tryShutdown waits for every HTTP/2 session to end, and a session whose peer
    // vanished mid-exit can keep it waiting for good: force it after the grace.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function grpcError(error: { code: string; message: string; details: Record<string, string> }): Partial<grpc.StatusObject> {
  const grpcCode = isErrorCode(error.code) ? ERRORS[error.code].grpc : grpc.status.UNKNOWN;
  const detail = create(ErrorSchema, { code: error.code, message: error.message, details: error.details });
  const status = create(RpcStatusSchema, { code: grpcCode, message: error.message, details: [anyPack(ErrorSchema, detail)] });
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(toBinary(RpcStatusSchema, status)));
  return { code: grpcCode, details: error.message, metadata };
}
