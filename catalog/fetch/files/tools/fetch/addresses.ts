// Which addresses a fetch may reach without naming them: public unicast only.
// Loopback, private, link-local, CGNAT, unique-local, unspecified, multicast,
// documentation and reserved ranges are named here (the name goes into the
// error); an IPv6 address that carries an IPv4 one (IPv4-mapped, IPv4-compatible,
// NAT64, 6to4) is judged by the IPv4 address it carries, so ::ffff:127.0.0.1 is
// loopback like 127.0.0.1.
import { isIP } from 'node:net';

const V4: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'RFC 1918 private'],
  ['100.64.0.0', 10, 'RFC 6598 CGNAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'RFC 1918 private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'RFC 1918 private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const V6: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'discard'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

const v4Ranges = V4.map(([base, bits, name]) => ({ base: v4Number(base), bits, name }));
const v6Ranges = V6.map(([base, bits, name]) => ({ base: v6Number(base), bits, name }));

/** The kind of non-public address `ip` is ('loopback', 'RFC 1918 private' …), or undefined for a public one. */
export function addressKind(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) return kind4(v4Number(ip));
  if (family !== 6) return 'not an IP address';
  const n = v6Number(ip);
  const embedded = embeddedV4(n);
  if (embedded !== undefined) {
    const inner = kind4(embedded.v4);
    return inner && `${embedded.form} ${inner}`;
  }
  for (const r of v6Ranges) if (n >> BigInt(128 - r.bits) === r.base >> BigInt(128 - r.bits)) return r.name;
  return undefined;
}

/** The one spelling of an address: lower-case, IPv6 compressed (as URL and the resolver write it). */
export function canonicalAddress(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

function kind4(n: number): string | undefined {
  for (const r of v4Ranges) if (n >>> (32 - r.bits) === r.base >>> (32 - r.bits)) return r.name;
  return undefined;
}

function embeddedV4(n: bigint): { v4: number; form: string } | undefined {
  const low = Number(n & 0xffffffffn);
  if (n >> 32n === 0xffffn) return { v4: low, form: 'IPv4-mapped' };
  // ::a.b.c.d (deprecated IPv4-compatible); :: and ::1 are IPv6's own.
  if (n >> 32n === 0n && n > 1n) return { v4: low, form: 'IPv4-compatible' };
  if (n >> 32n === 0x64ff9b0000000000000000n) return { v4: low, form: 'NAT64' };
  if (n >> 112n === 0x2002n) return { v4: Number((n >> 80n) & 0xffffffffn), form: '6to4' };
  return undefined;
}

function v4Number(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function v6Number(ip: string): bigint {
  let text = ip.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = v4Number(dotted[1]!);
    text = `${text.slice(0, -dotted[1]!.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}
