// Protocol version 4 (docs/protocol.md, "Frames on the socket"): the call
// stream's frames written straight on a TLS connection to the sidecar's frames
// socket, each a 4-byte big-endian length and a serialized ConnectRequest (from
// the kernel) or ConnectResponse (from the sidecar). Version 3 carried the same
// frames as gRPC messages on Plugin.Connect; the profile showed grpc-js's call
// layers, Node's http2 session and grpc-go's reader and writer goroutines
// around every message costing more than the frames themselves (bench/README.md,
// "Where the time goes: sidecars"). The TLS is the same as the gRPC channel's:
// we show our certificate and accept only the one the handshake line named.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { EventEmitter } from 'node:events';
import { connect, type TLSSocket } from 'node:tls';
import { ConnectRequestSchema, ConnectResponseSchema, type ConnectRequest, type ConnectResponse } from '../proto/gen/microcore/v1/plugin_pb.js';
import type { KeyAndCert } from './self-signed-cert.ts';
import { FRAME_PAYLOAD_BYTES } from './sidecar-stream.ts';
import { pinnedTls } from './sidecar-tls.ts';

const HEADER_BYTES = 4;
// One frame holds a piece of at most FRAME_PAYLOAD_BYTES and its fields: a
// longer length prefix means the peer is not speaking this protocol, and the
// connection ends rather than buffering it (the SDKs bound it alike).
const MAX_FRAME_BYTES = FRAME_PAYLOAD_BYTES + 1024;

/** Frames on one TLS connection; emits 'data' (a ConnectResponse), 'error' and 'end', as a gRPC duplex stream does. */
export class FrameSocket extends EventEmitter {
  #socket: TLSSocket;
  /** Bytes read but not yet a whole frame. */
  #pending: Buffer = Buffer.alloc(0);

  constructor(socket: TLSSocket) {
    super();
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('error', (err) => this.emit('error', err));
    socket.on('close', () => this.emit('end'));
  }

  write(frame: ConnectRequest): void {
    const body = toBinary(ConnectRequestSchema, frame);
    const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
    out.writeUInt32BE(body.length, 0);
    out.set(body, HEADER_BYTES);
    // Frames written in one turn of the event loop leave in one write(2): at
    // load, each costs the kernel tens of µs (a syscall that wakes the sidecar).
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    this.#socket.write(out);
  }

  #corked = false;
  #uncork = () => {
    this.#corked = false;
    this.#socket.uncork();
  };

  cancel(): void {
    this.#socket.destroy();
  }

  #read(chunk: Buffer): void {
    let buf = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    while (buf.length >= HEADER_BYTES) {
      const size = buf.readUInt32BE(0);
      if (size > MAX_FRAME_BYTES) {
        this.emit('error', new Error(`a frame of ${size} bytes, over the ${MAX_FRAME_BYTES} a frame may hold: the sidecar does not speak protocol version 4`));
        return this.cancel();
      }
      if (buf.length < HEADER_BYTES + size) break;
      let frame: ConnectResponse;
      try {
        frame = fromBinary(ConnectResponseSchema, buf.subarray(HEADER_BYTES, HEADER_BYTES + size));
      } catch (err) {
        this.emit('error', new Error(`a frame that is not a ConnectResponse (${(err as Error).message})`));
        return this.cancel();
      }
      buf = buf.subarray(HEADER_BYTES + size);
      this.emit('data', frame);
    }
    this.#pending = buf;
  }
}

/** Dials the sidecar's frames socket at `path`, pinned to `peerDer`; resolves once TLS is up. */
export function dialFrames(path: string, own: KeyAndCert, peerDer: Buffer, timeoutMs: number): Promise<FrameSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path, ...pinnedTls(own, peerDer) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TLS connection to the frames socket ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new FrameSocket(socket));
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot connect to the frames socket ${path}: ${err.message}`));
    });
  });
}
