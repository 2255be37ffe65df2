// A sidecar attached by address (manifest `address` and `cert`): one already
// running, started by a person, a container or a debugger, perhaps on another
// host. Nothing passes through a pipe or the environment, so the pinning is out
// of band: the manifest names the sidecar's certificate file, and the sidecar
// was given the kernel's lasting certificate (kernel-identity.ts) by path. The
// connection is then the same mutual TLS as a started sidecar's.
import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { mcError, type McError } from './errors.ts';
import { KERNEL_CERT_FILE } from './kernel-identity.ts';
import type { SidecarManifest } from './manifest.ts';
import { certKey } from './sidecar-tls.ts';

// The call stream on Plugin.Connect, inside the one gRPC connection: version 4's
// frames socket is a second Unix socket that the sidecar names in its handshake
// line, and an attached sidecar prints no line and may be on another host.
export const ATTACH_VERSION = 3;

// Over TCP grpc-js would send the host (an IP address, often) as the TLS server
// name, which RFC 6066 forbids; both certificates name localhost, and the pin,
// not the name, is what is checked.
export const ATTACH_CHANNEL_OPTIONS = { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' } as const;

export interface AttachOptions {
  identity: string;
  /** The sidecar's folder, absolute. */
  dir: string;
  manifestFile: string;
  manifest: SidecarManifest;
}

/** The gRPC target and the pinned certificate (DER) of an attached sidecar. */
export function attachTarget(o: AttachOptions): { target: string; cert: Buffer } {
  const { address, cert } = o.manifest;
  const file = isAbsolute(cert) ? cert : join(o.dir, cert);
  let der: Buffer;
  try {
    der = Buffer.from(new X509Certificate(readFileSync(file)).raw);
  } catch (err) {
    throw mcError('MC_ERR_MANIFEST_INVALID', `${o.manifestFile} field 'cert' names ${file}, which is not a readable PEM certificate (${(err as Error).message})`, { plugin: o.identity, file: o.manifestFile, field: 'cert' }, err, `Copy the sidecar's certificate (the sidecar.crt in its MICROCORE_TLS_DIR, made on its first run) to ${file}, or point 'cert' at it.`);
  }
  // grpc-js reads a bare host:port whose host has no dot as a URI scheme: name the resolver.
  return { target: address.startsWith('/') ? `unix://${address}` : `dns:${address}`, cert: der };
}

// What Node says when nothing listens at an address, or no route leads there: the
// sidecar is not running (yet), which is a state to wait out, not a refusal.
const NOT_LISTENING = /\b(ECONNREFUSED|ENOENT|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)\b/;

/** MC_ERR_SIDECAR_DOWN when the health check failed because nothing answers at the address (or not in time); undefined for any other failure. */
export function attachAbsent(o: AttachOptions, err: unknown): McError | undefined {
  const text = (err as Error).message;
  if (!NOT_LISTENING.test(text) && (err as grpc.ServiceError).code !== grpc.status.DEADLINE_EXCEEDED) return undefined;
  return mcError('MC_ERR_SIDECAR_DOWN', `${o.identity} (${o.manifestFile}): nothing answers at ${o.manifest.address} (${text})`, { plugin: o.identity, address: o.manifest.address }, err, `Start the sidecar with MICROCORE_LISTEN=${o.manifest.address} (docs/protocol.md, "Attached sidecars") or correct 'address' in ${o.manifestFile}; one that never booted needs the kernel restarted (endpoints are added before the http server listens), one that went away is dialed again on restart.backoffMs.`);
}

/** Why the kernel could not reach or trust an attached sidecar, and what to check. */
export function attachRefused(o: AttachOptions, der: Buffer, err: unknown): McError {
  const { address, cert } = o.manifest;
  return mcError(
    'MC_ERR_SIDECAR_HANDSHAKE',
    `${o.identity} (${o.manifestFile}) at ${address} did not answer its gRPC health check 'plugin' over the pinned TLS (${(err as Error).message}); nothing is sent to it`,
    { plugin: o.identity, address },
    err,
    `Check that the sidecar runs and listens on ${address} (MICROCORE_LISTEN); that 'cert' (${cert}, sha256 ${certKey(der)}) is the certificate it printed when it started; and that it was given this kernel's certificate (${KERNEL_CERT_FILE}, printed by \`microcore sidecar cert\`) as MICROCORE_KERNEL_CERT_FILE.`,
  );
}
