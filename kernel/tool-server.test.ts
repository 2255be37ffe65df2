// The tool server's callers: one certificate names one caller.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { CallMetrics } from './metrics.ts';
import { Gateway } from './gateway.ts';
import { Registry } from './registry.ts';
import { createSelfSignedCert } from './self-signed-cert.ts';
import { ToolCaller } from './tool-call.ts';
import { ToolServer } from './tool-server.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('refuses a second identity for a certificate another caller already holds (two attached sidecars sharing a key pair)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-ts-'));
  dirs.push(dir);
  const server = new ToolServer(join(dir, 'tools.sock'), new Gateway(new Map(), new ToolCaller(new CallMetrics(), new Registry()), { log: () => undefined as never, messageLimit: 1 << 20 }));
  const shared = createSelfSignedCert('shared');
  const der = shared.certDer;
  server.addCaller(der, { identity: 'sidecar/one', needs: ['state'] });
  // The same sidecar again (a reconnect) is fine.
  server.addCaller(der, { identity: 'sidecar/one', needs: ['state'] });
  expect(() => server.addCaller(der, { identity: 'sidecar/two', needs: ['db'] })).toThrow(expect.objectContaining({ code: 'MC_ERR_SIDECAR_HANDSHAKE', message: expect.stringContaining('sidecar/two presents the certificate') }));
});
