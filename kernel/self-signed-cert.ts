// A self-signed ECDSA P-256 certificate for the kernel's end of the sidecar TLS
// (docs/protocol.md, "Credentials"). Node can parse X.509 but not create it, and
// the kernel takes no dependency for that, so this writes the few DER structures
// a certificate needs by hand and signs them with node:crypto.
import { generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';

export interface KeyAndCert {
  /** PEM, PKCS#8: never leaves the kernel's memory. */
  keyPem: string;
  certPem: string;
  /** The certificate's DER bytes, as the handshake line and the pinning compare them. */
  certDer: Buffer;
}

// ecdsa-with-SHA256; id-ecPublicKey parameters come with the exported SPKI.
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const COMMON_NAME = '2.5.4.3';
const BASIC_CONSTRAINTS = '2.5.29.19';
const KEY_USAGE = '2.5.29.15';
const EXT_KEY_USAGE = '2.5.29.37';
const SUBJECT_ALT_NAME = '2.5.29.17';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

// The window starts an hour back so a peer whose clock runs a little behind
// still accepts it. It ends far ahead on purpose: the key lives in memory only,
// for one process's life, and OpenSSL re-checks the dates on every reconnect, so
// an expiry would only break a long-running kernel, never protect one.
const BACKDATE_MS = 60 * 60 * 1000;
const LIFETIME_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/** A fresh key pair and a certificate for it: CA, server and client use, SAN localhost. */
export function createSelfSignedCert(commonName: string, now = Date.now()): KeyAndCert {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = seq(set(seq(oid(COMMON_NAME), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
  const algorithm = seq(oid(ECDSA_SHA256));
  const tbs = seq(
    tlv(0xa0, int(Buffer.from([2]))), // version 3
    int(randomBytes(16)),
    algorithm,
    name,
    seq(utcTime(new Date(now - BACKDATE_MS)), utcTime(new Date(now + LIFETIME_MS))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(
      extension(BASIC_CONSTRAINTS, true, seq(tlv(0x01, Buffer.from([0xff])))),
      // digitalSignature (bit 0) and keyCertSign (bit 5); the 2 low bits unused.
      extension(KEY_USAGE, true, tlv(0x03, Buffer.from([0x02, 0x84]))),
      extension(EXT_KEY_USAGE, false, seq(oid(SERVER_AUTH), oid(CLIENT_AUTH))),
      extension(SUBJECT_ALT_NAME, false, seq(tlv(0x82, Buffer.from('localhost', 'ascii')))),
    )),
  );
  const signature = sign('sha256', tbs, { key: privateKey as KeyObject, dsaEncoding: 'der' });
  const certDer = seq(tbs, algorithm, bitString(signature));
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, certPem: new X509Certificate(certDer).toString(), certDer };
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function seq(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

function set(...items: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(items));
}

/** A positive INTEGER from big-endian bytes (a leading 0 keeps the sign bit clear). */
function int(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && b[1]! < 0x80) b = b.subarray(1);
  return tlv(0x02, b[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

function bitString(bytes: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const base128 = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) base128.unshift(0x80 | (v & 0x7f));
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

function utcTime(d: Date): Buffer {
  // UTCTime (YYMMDDHHMMSSZ) serves until 2049, which the lifetime above stays within.
  const iso = d.toISOString();
  const text = iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
  return tlv(0x17, Buffer.from(text, 'ascii'));
}
