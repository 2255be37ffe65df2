import { describe, expect, it } from 'vitest';
import { addressKind, canonicalAddress } from './addresses.ts';

describe('addressKind', () => {
  it.each([
    ['8.8.8.8'],
    ['1.1.1.1'],
    ['172.32.0.1'],
    ['100.128.0.1'],
    ['2606:4700:4700::1111'],
    ['2a00:1450:4001:80b::200e'],
  ])('%s is public', (ip) => {
    expect(addressKind(ip)).toBeUndefined();
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'RFC 1918 private'],
    ['172.16.0.1', 'RFC 1918 private'],
    ['172.31.255.255', 'RFC 1918 private'],
    ['192.168.1.1', 'RFC 1918 private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'RFC 6598 CGNAT'],
    ['100.127.255.255', 'RFC 6598 CGNAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fd12:3456::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback'],
    ['::ffff:10.0.0.1', 'IPv4-mapped RFC 1918 private'],
    ['::ffff:169.254.169.254', 'IPv4-mapped link-local'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['64:ff9b::192.168.0.1', 'NAT64 RFC 1918 private'],
    ['2002:7f00:1::', '6to4 loopback'],
  ])('%s is %s', (ip, kind) => {
    expect(addressKind(ip)).toBe(kind);
  });

  it('an IPv4-mapped public address is public', () => {
    expect(addressKind('::ffff:8.8.8.8')).toBeUndefined();
  });
});

describe('canonicalAddress', () => {
  it('spells IPv6 one way', () => {
    expect(canonicalAddress('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalAddress('FE80::0001')).toBe('fe80::1');
    expect(canonicalAddress('127.0.0.1')).toBe('127.0.0.1');
  });
});
