// The kernel's lasting identity, for sidecars it attaches to rather than starts
// (manifest `address`). A spawned sidecar learns the kernel's certificate from
// its environment and prints its own on a pipe only the kernel reads; a sidecar
// started by a person, a container or a debugger has neither channel, so both
// certificates travel out of band, as files the operator hands over. That needs
// a key pair that outlives one kernel process: kept in the project under
// data/tls (git-ignored), made on first use, the key readable by its owner alone.
// Only the certificate is ever handed out (`microcore sidecar cert`).
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { mcError } from './errors.ts';
import { createSelfSignedCert, type KeyAndCert } from './self-signed-cert.ts';

export const KERNEL_TLS_DIR = 'data/tls';
export const KERNEL_KEY_FILE = `${KERNEL_TLS_DIR}/kernel.key`;
export const KERNEL_CERT_FILE = `${KERNEL_TLS_DIR}/kernel.crt`;

/** The project's kernel key pair, made (key mode 0600) when there is none yet. */
export function kernelIdentity(root: string): KeyAndCert {
  const keyFile = join(root, KERNEL_KEY_FILE);
  const certFile = join(root, KERNEL_CERT_FILE);
  if (!existsSync(keyFile) && !existsSync(certFile)) {
    const made = createSelfSignedCert('microcore-kernel');
    mkdirSync(join(root, KERNEL_TLS_DIR), { recursive: true, mode: 0o700 });
    // The key first and private from its first byte: a certificate without its key is useless.
    writeFileSync(keyFile, made.keyPem, { mode: 0o600, flag: 'wx' });
    writeFileSync(certFile, made.certPem, { mode: 0o644, flag: 'wx' });
    return made;
  }
  return readIdentity(keyFile, certFile);
}

function readIdentity(keyFile: string, certFile: string): KeyAndCert {
  const fix = `Remove both ${KERNEL_KEY_FILE} and ${KERNEL_CERT_FILE} to make a new pair (then give every attached sidecar the new certificate: microcore sidecar cert).`;
  let keyPem: string;
  let cert: X509Certificate;
  try {
    // Like ssh with a private key: one that others can read is refused, not used.
    if (statSync(keyFile).mode & 0o077) {
      throw mcError('MC_ERR_SIDECAR_HANDSHAKE', `${keyFile}, the kernel's private key for attached sidecars, can be read by other users (mode ${(statSync(keyFile).mode & 0o777).toString(8)})`, { file: keyFile }, undefined, `chmod 600 ${keyFile}; if others may have read it, ${fix.charAt(0).toLowerCase()}${fix.slice(1)}`);
    }
    keyPem = readFileSync(keyFile, 'utf8');
    cert = new X509Certificate(readFileSync(certFile));
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('the certificate is not the key\'s');
  } catch (err) {
    if ((err as { code?: string }).code === 'MC_ERR_SIDECAR_HANDSHAKE') throw err;
    throw mcError('MC_ERR_SIDECAR_HANDSHAKE', `the kernel's key pair for attached sidecars (${keyFile}, ${certFile}) cannot be used: ${(err as Error).message}`, { file: keyFile }, err, fix);
  }
  return { keyPem, certPem: cert.toString(), certDer: Buffer.from(cert.raw) };
}
