// Regression for "a sidecar can use another sidecar's credentials": a program
// of the same user read MICROCORE_TOKEN from the parity sidecar's
// /proc/<pid>/environ and called Db.Query with it. Now the kernel and each
// sidecar know each other by TLS certificates whose keys never leave their
// memory (docs/protocol.md, "Credentials"): a separate process with all it can
// read of the real parity-go sidecar (Go) or parity-rustsc sidecar (Rust,
// sdk/rust's transport) is refused by the kernel's tool server and by every
// sidecar's plugin socket, while the kernel's own calls still work.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootParityApp, bootProject, childPidsOf, PARITY_FIXTURES, REPO, type ExampleApp } from './project.ts';

const SIDECAR = join(PARITY_FIXTURES, 'sidecars/parity-go/bin/parity-go');
const RUST_SIDECAR = join(PARITY_FIXTURES, 'sidecars/parity-rustsc/bin/parity-rustsc');

let app: ExampleApp;
let url: string;

beforeAll(async () => {
  for (const built of [SIDECAR, RUST_SIDECAR]) if (!existsSync(built)) throw new Error(`${built} is not built: run bash scripts/setup.sh`);
  app = await bootParityApp();
  url = app.url;
});

afterAll(async () => {
  await app?.stop();
});

interface Intrusion {
  environ: string[];
  pluginSockets: string[];
  framesSockets: string[];
  attempts: { target: string; way: string; accepted: boolean; outcome: string }[];
}

describe('sidecar credentials', () => {
  it.each([
    ['parity-go', SIDECAR],
    ['parity-rustsc', RUST_SIDECAR],
  ])('refuses a process holding everything it can read of the %s sidecar, at the kernel and at the sidecar', async (name, exe) => {
    const [pid] = childPidsOf(exe);
    expect(pid, `the ${name} sidecar process`).toBeDefined();
    const { stdout } = await promisify(execFile)(process.execPath, ['--disable-warning=ExperimentalWarning', join(REPO, 'test/sidecar-intruder.ts'), String(pid)], { cwd: REPO, timeout: 30_000 });
    const seen = JSON.parse(stdout) as Intrusion;
    expect(seen.pluginSockets.map((s) => s.split('/').pop()), 'the intruder found both sidecar sockets').toEqual(expect.arrayContaining(['parity-go.sock', 'parity-rustsc.sock']));
    const accepted = seen.attempts.filter((a) => a.accepted);
    expect(accepted, JSON.stringify(seen.attempts, null, 2)).toEqual([]);
    expect(seen.environ).toContain('MICROCORE_KERNEL_ADDRESS');
    expect(seen.environ).not.toContain('MICROCORE_TOKEN');
    const atKernel = seen.attempts.filter((a) => a.target.startsWith('kernel'));
    expect(atKernel.map((a) => a.way)).toEqual(['plaintext', 'tls, no client certificate', 'tls, own client certificate']);
    // Over TLS the call reaches the tool server, which names the reason.
    for (const a of atKernel.filter((x) => x.way !== 'plaintext')) expect(a.outcome, a.way).toBe('MC_ERR_GATEWAY_UNAUTHENTICATED');
    expect(seen.attempts.filter((a) => a.target.startsWith('plugin')).length).toBe(3 * seen.pluginSockets.length);
    // Protocol version 4's frames socket (both SDKs') refuses the same three ways.
    expect(seen.framesSockets.map((s) => s.split('/').pop()), 'the intruder found both frames sockets').toEqual(expect.arrayContaining(['parity-go.frames', 'parity-rustsc.frames']));
    expect(seen.attempts.filter((a) => a.target.startsWith('frames')).length).toBe(3 * seen.framesSockets.length);
  });

  it('still serves the kernel: the sidecar answers and its own tool calls get rows', async () => {
    const res = await fetch(`${url}/parity/go/values`, { method: 'POST' });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.text()).toContain('"big":9007199254740993');
    const count = await (await fetch(`${url}/parity/go/count`)).json();
    expect(count).toEqual({ n: 1 });
  });
});

describe('the handshake line', () => {
  const printing = (line: string) => ({ 'sidecars/shell/sidecar.json': JSON.stringify({ name: 'shell', command: 'sh', args: ['-c', `echo '${line}'; sleep 5`], needs: ['logger'], startTimeoutMs: 3000 }) });

  it.each([
    ['a version-1 line, without a certificate', '1|1|unix|/tmp/mc-x/shell.sock|grpc', 'is not the handshake 1|<version>|unix|<socket>|grpc|<base64 DER certificate>'],
    ['a last field that is not a certificate', '1|2|unix|/tmp/mc-x/shell.sock|grpc|AAAA', 'whose certificate field (the sixth) is not a base64 DER X.509 certificate'],
    ['a field too many', '1|2|unix|/tmp/mc-x/shell.sock|grpc|AAAA|x', 'chose protocol version 2, whose handshake line has six fields, not seven'],
    ['two fields too many', '1|4|unix|/tmp/mc-x/shell.sock|grpc|AAAA|x|y', 'is not the handshake'],
    ['version 4 without its frames socket', '1|4|unix|/tmp/mc-x/shell.sock|grpc|AAAA', 'chose protocol version 4 but its handshake line names no frames socket (a seventh field)'],
  ])('refuses %s, quoting it', async (_what, line, reason) => {
    const project = await bootProject(printing(line));
    try {
      const item = project.item('sidecar/shell')!;
      expect(item).toMatchObject({ status: 'failed', code: 'MC_ERR_SIDECAR_HANDSHAKE' });
      expect(item.reason).toContain(reason);
      expect(item.reason).toContain(`printed: ${JSON.stringify(line)}`);
    } finally {
      await project.stop();
    }
  });
});
