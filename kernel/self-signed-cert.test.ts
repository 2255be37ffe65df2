import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSelfSignedCert } from './self-signed-cert.ts';

describe('createSelfSignedCert', () => {
  it('makes a certificate X509Certificate parses, signed by its own key', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const c = createSelfSignedCert('microcore-kernel', now);
    const x = new X509Certificate(c.certDer);
    expect(x.raw.equals(c.certDer)).toBe(true);
    expect(x.subject).toBe('CN=microcore-kernel');
    expect(x.issuer).toBe('CN=microcore-kernel');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkIssued(x)).toBe(true);
    expect(x.ca).toBe(true);
    expect(x.subjectAltName).toBe('DNS:localhost');
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    // The private key is the certificate's.
    expect(x.checkPrivateKey(createPrivateKey(c.keyPem))).toBe(true);
    expect(Date.parse(x.validFrom)).toBeLessThan(now);
    expect(Date.parse(x.validTo)).toBeGreaterThan(now + 365 * 24 * 3600 * 1000);
    expect(x.toString()).toBe(c.certPem);
  });

  it('gives every call a new key and serial', () => {
    const a = new X509Certificate(createSelfSignedCert('a').certDer);
    const b = new X509Certificate(createSelfSignedCert('a').certDer);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.publicKey.export({ type: 'spki', format: 'der' })).not.toEqual(b.publicKey.export({ type: 'spki', format: 'der' }));
  });
});
