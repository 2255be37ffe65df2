// A sidecar.json with `address` attaches to a sidecar already running instead
// of starting one: no `command`, a `cert` to pin, no field only a started
// process gets. Each refusal names the file and the field.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { McError } from './errors.ts';
import { readSidecarManifest } from './manifest.ts';

const FILE = 'sidecars/x/sidecar.json';
let root = '';
afterEach(() => rmSync(root, { recursive: true, force: true }));

function read(manifest: object) {
  root = mkdtempSync(join(tmpdir(), 'mc-manifest-'));
  mkdirSync(join(root, 'sidecars/x'), { recursive: true });
  writeFileSync(join(root, FILE), JSON.stringify({ name: 'x', ...manifest }));
  return readSidecarManifest(root, FILE, 'x');
}

function refusal(manifest: object): McError {
  try {
    read(manifest);
  } catch (err) {
    return err as McError;
  }
  throw new Error('the manifest was accepted');
}

describe('sidecar.json address', () => {
  it('accepts host:port, [v6]:port and a Unix socket path, each with a cert', () => {
    for (const address of ['127.0.0.1:7001', '[::1]:7001', 'sidecar.internal:7001', '/run/x.sock']) {
      const m = read({ address, cert: 'sidecar.crt' });
      expect([m.address, m.command, m.cert]).toEqual([address, '', 'sidecar.crt']);
    }
  });

  it.each([
    [{}, 'command', "lacks the required field 'command' (the program to start), or 'address'"],
    [{ command: 'bin/x', address: '127.0.0.1:7001', cert: 'x.crt' }, 'address', "has both 'command' and 'address'"],
    [{ address: '127.0.0.1:7001' }, 'cert', "has 'address' but no 'cert'"],
    [{ command: 'bin/x', cert: 'x.crt' }, 'cert', "has 'cert' without 'address'"],
    [{ address: 'localhost', cert: 'x.crt' }, 'address', "field 'address' is 'localhost', which is neither host:port"],
    [{ address: '127.0.0.1:7001', cert: 'x.crt', env: { A: 'b' } }, 'env', "has 'env', which only a sidecar the kernel starts gets"],
    [{ address: '127.0.0.1:7001', cert: '../../../../x.crt' }, 'cert', 'outside the project'],
  ])('refuses %j, naming the file and %s', (manifest, field, text) => {
    const err = refusal(manifest);
    expect(err.code).toBe('MC_ERR_MANIFEST_INVALID');
    expect(err.details).toMatchObject({ file: FILE, field });
    expect(err.message).toContain(FILE);
    expect(err.message).toContain(text);
  });
});
