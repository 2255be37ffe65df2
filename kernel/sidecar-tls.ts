// Credentials between the kernel and its sidecars, after hashicorp/go-plugin's
// AutoMTLS: the kernel hands each sidecar only its public certificate
// (MICROCORE_KERNEL_CERT); the sidecar makes its own key pair and prints its
// certificate in the handshake line, which only the kernel reads (a pipe). Both
// ends then run TLS with client certificates and accept only the other's
// certificate, so nothing another process can read from the sidecar's
// environment or command line lets it act as either end.
import * as grpc from '@grpc/grpc-js';
import { createHash, X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import type { KeyAndCert } from './self-signed-cert.ts';

/** The key under which a certificate is known: hex SHA-256 of its DER bytes. */
export function certKey(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** The peer's certificate DER, when it proved it holds the key of a certificate we trust. */
export function peerCertOf(call: { getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null }): Buffer | undefined {
  return call.getAuthContext()?.sslPeerCertificate?.raw;
}

/**
 * The tool server's TLS: our certificate, a client certificate requested from
 * every caller and verified against the sidecar certificates added so far.
 * grpc-js fixes the CA list of createSsl at creation, but sidecar certificates
 * arrive later, one per handshake, so this feeds grpc-js's own hook for
 * reloaded credentials (new connections get the new list). A caller without an
 * accepted certificate still connects; its calls are refused with a coded
 * error (MC_ERR_GATEWAY_UNAUTHENTICATED) rather than a bare TLS failure.
 */
export class CallerCredentials extends grpc.ServerCredentials {
  #own: KeyAndCert;
  #trusted = new Map<string, string>();

  constructor(own: KeyAndCert) {
    super({ requestCert: true, rejectUnauthorized: false }, contextOptions(own, []));
    this.#own = own;
  }

  addCert(der: Buffer): void {
    const cert = new X509Certificate(der);
    // OpenSSL finds a client certificate's issuer by subject name, so of two
    // trusted certificates with one subject (a sidecar's old and new process
    // during a hot swap) the newer would fail to verify. The newer one wins for
    // new connections; the older process's open connection stays verified.
    for (const [key, pem] of this.#trusted) if (new X509Certificate(pem).subject === cert.subject) this.#trusted.delete(key);
    this.#trusted.set(certKey(der), cert.toString());
    this.updateSecureContextOptions(contextOptions(this.#own, [...this.#trusted.values()]));
  }

  /** The certificates added so far (DER). */
  trusted(): Buffer[] {
    return [...this.#trusted.values()].map((pem) => Buffer.from(new X509Certificate(pem).raw));
  }

  removeCert(der: Buffer): void {
    if (this.#trusted.delete(certKey(der))) this.updateSecureContextOptions(contextOptions(this.#own, [...this.#trusted.values()]));
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

// The CA list is never empty: an empty one would make Node fall back to the
// public roots. Our own certificate stands in; no caller holds its key.
function contextOptions(own: KeyAndCert, cas: string[]) {
  return { key: own.keyPem, cert: own.certPem, ca: [own.certPem, ...cas] };
}

/** Channel credentials that present our certificate and accept only `peerDer` from the server. */
export function pinnedChannel(own: KeyAndCert, peerDer: Buffer): grpc.ChannelCredentials {
  const tls = pinnedTls(own, peerDer);
  return grpc.credentials.createSsl(Buffer.from(tls.ca), Buffer.from(tls.key), Buffer.from(tls.cert), { checkServerIdentity: tls.checkServerIdentity });
}

/** TLS options that present our certificate and accept only `peerDer` from the server (the gRPC channel's and the frames socket's). */
export function pinnedTls(own: KeyAndCert, peerDer: Buffer) {
  const expected = certKey(peerDer);
  return {
    ca: new X509Certificate(peerDer).toString(),
    key: own.keyPem,
    cert: own.certPem,
    // The chain was checked against the sidecar's certificate alone; the name
    // means nothing on a Unix socket (nor on TCP, where the certificate says
    // localhost whatever the host), the exact certificate does.
    checkServerIdentity: (_host: string, cert: PeerCertificate) => (cert.raw && certKey(cert.raw) === expected ? undefined : new Error(`the server's certificate (sha256 ${cert.raw ? certKey(cert.raw) : 'none'}) is not the pinned one (sha256 ${expected})`)),
  };
}
