// The handshake line of a sidecar the kernel started (docs/protocol.md, "Start
// and handshake"): the first line on its stdout names its socket, the protocol
// version it picked and its certificate. Read here, apart from the host, which
// also attaches to sidecars it did not start (and so reads no line).
import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { createInterface } from 'node:readline';
import { mcError } from './errors.ts';
import { diagnoseCommand } from './sidecar-diagnosis.ts';

// Version 1 (a bearer token in the environment) is retired: any process of the
// same user could read the token and act as the sidecar. Version 2: every call
// a unary gRPC call; version 3 adds the call stream on Plugin.Connect; version 4
// carries the same frames on a socket of their own (sidecar-frames.ts), named
// by a seventh field of the handshake line. The sidecar picks.
export const PROTOCOL_VERSIONS = [2, 3, 4] as const;
const HANDSHAKE = /^1\|(\d+)\|unix\|([^|]+)\|grpc\|([A-Za-z0-9+/]+={0,2})(?:\|([^|]+))?$/;
const HANDSHAKE_FORM = '1|<version>|unix|<socket>|grpc|<base64 DER certificate>[|<frames socket>, version 4]';

export interface Handshake {
  /** The sidecar's gRPC socket path. */
  address: string;
  cert: Buffer;
  version: number;
  /** Version 4's frames socket. */
  frames?: string;
}

export interface HandshakeContext {
  identity: string;
  manifestFile: string;
  command: string;
  timeoutMs: number;
  /** The stderr lines kept so far, for the message of a failed start. */
  stderr(): string[];
  /** Lines after the handshake: the sidecar's own output. */
  onLine(line: string): void;
}

/** Waits for the handshake line; a wrong or missing one kills the process and rejects with MC_ERR_SIDECAR_HANDSHAKE. */
export function readHandshake(child: ChildProcess, c: HandshakeContext): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    let first: string | undefined;
    const fail = (why: string, err?: unknown) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(mcError('MC_ERR_SIDECAR_HANDSHAKE', `${c.identity} (${c.manifestFile}) ${why}; printed: ${JSON.stringify(first ?? '')}; command: ${diagnoseCommand(c.command)}; last stderr: ${c.stderr().join(' | ') || 'none'}`, { plugin: c.identity }, err));
    };
    const timer = setTimeout(() => fail(`did not print its handshake line within ${c.timeoutMs} ms (startTimeoutMs)`), c.timeoutMs);
    child.once('error', (err) => fail(`could not be started (${err.message})`, err));
    child.once('exit', (code) => {
      if (first === undefined || !HANDSHAKE.test(first)) setTimeout(() => fail(`exited with code ${code} before the handshake`), 50);
    });
    lines.on('line', (line) => {
      if (first !== undefined) return c.onLine(line);
      first = line;
      const m = HANDSHAKE.exec(line.trim());
      if (!m) return fail(`printed a first line that is not the handshake ${HANDSHAKE_FORM} (a sidecar built with an SDK older than protocol version 2 must be rebuilt)`);
      const version = Number(m[1]);
      if (!PROTOCOL_VERSIONS.includes(version as 2)) return fail(`speaks protocol version ${m[1]}; the kernel speaks ${PROTOCOL_VERSIONS.join(', ')}`);
      if ((version >= 4) !== (m[4] !== undefined)) return fail(version >= 4 ? 'chose protocol version 4 but its handshake line names no frames socket (a seventh field)' : `chose protocol version ${version}, whose handshake line has six fields, not seven`);
      const cert = Buffer.from(m[3]!, 'base64');
      try {
        new X509Certificate(cert);
      } catch (err) {
        return fail('printed a handshake line whose certificate field (the sixth) is not a base64 DER X.509 certificate', err);
      }
      clearTimeout(timer);
      resolve({ address: m[2]!, cert, version, frames: m[4] });
    });
  });
}
