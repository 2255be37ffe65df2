// Where sidecars meet the kernel, opened on first need: the private socket
// folder (spawned sidecars' sockets and the kernel's own), the tool server on
// its Unix socket, and, once a manifest names an `address`, the same tool
// server on TCP (MC_TOOL_ADDRESS) behind the kernel's lasting certificate
// (kernel-identity.ts). A project without sidecars opens nothing; one without
// attached sidecars makes no key file and no TCP port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mcError } from './errors.ts';
import type { Gateway } from './gateway.ts';
import { kernelIdentity } from './kernel-identity.ts';
import type { KeyAndCert } from './self-signed-cert.ts';
import { ToolServer } from './tool-server.ts';

/** Loopback by default: a sidecar on another host is a choice the operator makes by setting it. */
export const DEFAULT_TOOL_ADDRESS = '127.0.0.1:7400';

/** What an attached sidecar's connection needs: the certificate the kernel shows, and where its tools listen. */
export interface AttachPoint {
  own: KeyAndCert;
  toolAddress: string;
}

export class SidecarPorts {
  #root: string;
  #env: Readonly<Record<string, string | undefined>>;
  #gateway: Gateway;
  #dir?: string;
  #server?: Promise<ToolServer>;
  #attach?: Promise<AttachPoint>;

  constructor(root: string, env: Readonly<Record<string, string | undefined>>, gateway: Gateway) {
    this.#root = root;
    this.#env = env;
    this.#gateway = gateway;
  }

  socketDir(): string {
    // Short, private (0700) and ours alone: Unix socket paths must stay under 107 bytes.
    this.#dir ??= mkdtempSync(join(tmpdir().length < 40 ? tmpdir() : '/tmp', 'mc-'));
    return this.#dir;
  }

  toolServer(): Promise<ToolServer> {
    this.#server ??= (async () => {
      // A leading dot: no sidecar can be named so (discovery skips dot folders), so
      // no sidecar's own socket in this directory can take the kernel's place.
      const server = new ToolServer(join(this.socketDir(), '.kernel.sock'), this.#gateway);
      await server.listen();
      return server;
    })();
    return this.#server;
  }

  /** The kernel's side of attached sidecars, opened once for all of them. */
  attachPoint(): Promise<AttachPoint> {
    this.#attach ??= (async () => {
      const own = kernelIdentity(this.#root);
      const address = this.#env.MC_TOOL_ADDRESS || DEFAULT_TOOL_ADDRESS;
      try {
        return { own, toolAddress: await (await this.toolServer()).listenTcp(address, own) };
      } catch (err) {
        throw mcError('MC_ERR_SIDECAR_HANDSHAKE', `the kernel's tool services for attached sidecars cannot listen on ${address} (MC_TOOL_ADDRESS): ${(err as Error).message}`, { setting: 'MC_TOOL_ADDRESS' }, err, 'Set MC_TOOL_ADDRESS to a free host:port (and give the attached sidecars the same address as MICROCORE_KERNEL_ADDRESS).');
      }
    })();
    return this.#attach;
  }

  /** Closes the tool server (calls in flight get `graceMs`) and removes the socket folder. */
  async close(graceMs?: number): Promise<void> {
    try {
      if (this.#server) await (await this.#server).close(graceMs);
    } finally {
      this.removeDir();
    }
  }

  removeDir(): void {
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }
}
