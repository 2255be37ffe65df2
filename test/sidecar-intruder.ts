// Run by test/sidecar-credentials.test.ts as its own process: another program of
// the same user, which reads everything it can about a running sidecar
// (/proc/<pid>/environ and cmdline, its socket directory) and tries to use it:
// to call the kernel's tools as that sidecar, and to call the sidecar as the
// kernel. Prints one JSON line: each attempt and how it ended.
//   node test/sidecar-intruder.ts <sidecar pid>
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { readdirSync, readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { HealthCheckRequestSchema, HealthCheckResponseSchema } from '../proto/gen/grpc/health/v1/health_pb.js';
import { QueryRequestSchema, QueryResponseSchema } from '../proto/gen/microcore/v1/db_pb.js';
import { ConnectRequestSchema, InvokeRequestSchema } from '../proto/gen/microcore/v1/plugin_pb.js';
import { ErrorSchema, RpcStatusSchema } from '../proto/gen/microcore/v1/error_pb.js';
import { createSelfSignedCert } from '../kernel/self-signed-cert.ts';

const pid = process.argv[2];
const environ = Object.fromEntries(
  readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
) as Record<string, string>;
const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

// Anything that looks like a credential, passed as metadata on every call.
const stolen = new grpc.Metadata();
for (const [k, v] of Object.entries(environ)) if (k.startsWith('MICROCORE_') && !v.includes('\n')) stolen.set(`x-${k.toLowerCase().replaceAll('_', '-')}`, v);
if (environ.MICROCORE_TOKEN) stolen.set('mc-token', environ.MICROCORE_TOKEN);

const mine = createSelfSignedCert(environ.MICROCORE_IDENTITY ?? 'intruder');
const kernelCert = environ.MICROCORE_KERNEL_CERT ? Buffer.from(environ.MICROCORE_KERNEL_CERT) : null;
const anyServer = { rejectUnauthorized: false, checkServerIdentity: () => undefined };
const WAYS: Record<string, () => grpc.ChannelCredentials> = {
  plaintext: () => grpc.credentials.createInsecure(),
  'tls, no client certificate': () => grpc.credentials.createSsl(kernelCert, null, null, anyServer),
  'tls, own client certificate': () => grpc.credentials.createSsl(kernelCert, Buffer.from(mine.keyPem), Buffer.from(mine.certPem), anyServer),
};

function call(address: string, path: string, request: Uint8Array, creds: grpc.ChannelCredentials): Promise<Buffer> {
  const client = new grpc.Client(address, creds);
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(path, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, request, stolen, { deadline: Date.now() + 3_000 }, (err, res) => (err ? reject(err) : resolve(res!)));
  }).finally(() => client.close());
}

function outcome(err: grpc.ServiceError): string {
  const bin = err.metadata?.get('grpc-status-details-bin')[0];
  if (bin) {
    const status = fromBinary(RpcStatusSchema, bin as Buffer);
    const e = status.details.map((d) => anyUnpack(d, ErrorSchema)).find(Boolean);
    if (e) return e.code;
  }
  return `grpc ${grpc.status[err.code]}`;
}

// Protocol version 4's frames socket: an invoke frame written as the kernel
// would; any byte back means the sidecar took it.
const invokeFrame = (() => {
  const invoke = toBinary(InvokeRequestSchema, create(InvokeRequestSchema, { handlerId: 'h1' }));
  const body = toBinary(ConnectRequestSchema, create(ConnectRequestSchema, { id: 1n, body: { case: 'invoke', value: invoke }, timeoutMs: 3000 }));
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
})();
const FRAME_WAYS: Record<string, (path: string) => Socket> = {
  plaintext: (path) => netConnect({ path }).on('connect', function (this: Socket) { this.write(invokeFrame); }),
  'tls, no client certificate': (path) => tlsConnect({ path, ...anyServer }).on('secureConnect', function (this: Socket) { this.write(invokeFrame); }),
  'tls, own client certificate': (path) => tlsConnect({ path, key: mine.keyPem, cert: mine.certPem, ...anyServer }).on('secureConnect', function (this: Socket) { this.write(invokeFrame); }),
};

function frameAttempt(path: string, way: string): Promise<{ accepted: boolean; outcome: string }> {
  return new Promise((resolve) => {
    const socket = FRAME_WAYS[way]!(path);
    const done = (accepted: boolean, outcome: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ accepted, outcome });
    };
    const timer = setTimeout(() => done(false, 'no answer within 3 s'), 3_000);
    // A TLS alert record (content type 21, two bytes of alert) is how a TLS
    // server refuses what is not TLS (rustls answers plaintext so; Go's crypto/tls
    // just closes): a refusal, not a frame taken. Anything else back is taken.
    const tlsAlert = (b: Buffer) => b.length === 7 && b[0] === 21 && b[1] === 3 && b.readUInt16BE(3) === 2;
    socket.on('data', (b: Buffer) => (tlsAlert(b) ? done(false, `TLS alert ${b[6]}`) : done(true, `${b.length} byte(s) back`)));
    socket.on('error', (err) => done(false, `error: ${err.message}`));
    socket.on('close', () => done(false, 'closed'));
  });
}

const attempts: { target: string; way: string; accepted: boolean; outcome: string }[] = [];
const kernelAddress = environ.MICROCORE_KERNEL_ADDRESS!;
const socketDir = environ.MICROCORE_SOCKET_DIR!;
const pluginSockets = readdirSync(socketDir).filter((f) => f.endsWith('.sock') && !f.startsWith('.')).map((f) => `unix://${join(socketDir, f)}`);
const framesSockets = readdirSync(socketDir).filter((f) => f.endsWith('.frames') && !f.startsWith('.')).map((f) => join(socketDir, f));
const query = toBinary(QueryRequestSchema, create(QueryRequestSchema, { sql: 'SELECT 1 AS one' }));
const health = toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: 'plugin' }));

for (const [way, creds] of Object.entries(WAYS)) {
  try {
    const res = fromBinary(QueryResponseSchema, await call(kernelAddress, '/microcore.v1.Db/Query', query, creds()));
    attempts.push({ target: 'kernel Db.Query', way, accepted: true, outcome: `${res.rows.length} row(s)` });
  } catch (err) {
    attempts.push({ target: 'kernel Db.Query', way, accepted: false, outcome: outcome(err as grpc.ServiceError) });
  }
  for (const socket of pluginSockets) {
    try {
      const res = fromBinary(HealthCheckResponseSchema, await call(socket, '/grpc.health.v1.Health/Check', health, creds()));
      attempts.push({ target: `plugin ${socket} Health.Check`, way, accepted: true, outcome: `status ${res.status}` });
    } catch (err) {
      attempts.push({ target: `plugin ${socket} Health.Check`, way, accepted: false, outcome: outcome(err as grpc.ServiceError) });
    }
  }
  for (const socket of framesSockets) attempts.push({ target: `frames ${socket} invoke`, way, ...(await frameAttempt(socket, way)) });
}
process.stdout.write(JSON.stringify({ environ: Object.keys(environ), cmdline, pluginSockets, framesSockets, attempts }) + '\n');
