// The kernel's lasting key pair for attached sidecars: made once, key 0600,
// the same on every later read, refused when others can read the key.
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { McError } from './errors.ts';
import { KERNEL_CERT_FILE, KERNEL_KEY_FILE, kernelIdentity } from './kernel-identity.ts';
import { createSelfSignedCert } from './self-signed-cert.ts';

let root = '';
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('kernelIdentity', () => {
  it('makes the pair on first use, the key readable by its owner alone, and reads the same pair after', () => {
    root = mkdtempSync(join(tmpdir(), 'mc-identity-'));
    const made = kernelIdentity(root);
    expect(statSync(join(root, KERNEL_KEY_FILE)).mode & 0o777).toBe(0o600);
    const again = kernelIdentity(root);
    expect(again.certDer.equals(made.certDer)).toBe(true);
    expect(again.keyPem).toBe(made.keyPem);
  });

  it('refuses a key others can read, and a certificate that is not the key\'s', () => {
    root = mkdtempSync(join(tmpdir(), 'mc-identity-'));
    kernelIdentity(root);
    chmodSync(join(root, KERNEL_KEY_FILE), 0o644);
    let err = (() => { try { kernelIdentity(root); } catch (e) { return e as McError; } })();
    expect(err?.code).toBe('MC_ERR_SIDECAR_HANDSHAKE');
    expect(err?.message).toContain('can be read by other users (mode 644)');
    chmodSync(join(root, KERNEL_KEY_FILE), 0o600);
    writeFileSync(join(root, KERNEL_CERT_FILE), createSelfSignedCert('other').certPem);
    err = (() => { try { kernelIdentity(root); } catch (e) { return e as McError; } })();
    expect(err?.message).toContain("the certificate is not the key's");
  });
});
